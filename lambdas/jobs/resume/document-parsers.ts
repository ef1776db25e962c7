import { JobFailure } from '../job-failure';
import {
  corruptFile,
  DOCUMENT_LIMITS,
  type DocumentLimits,
  type ParsedDocument,
  type ParsedFormat,
  tooComplex,
  tooManyCharacters,
} from './document-limits';
import { inflateEntries, readZipEntries, writeStoredZip } from './zip-archive';

/** Loads a format's parser, so that the parse time limit measures the file alone. */
export const loadParser = async (format: ParsedFormat): Promise<void> => {
  if (format === 'pdf') {
    // Registering the worker module first lets pdf.js run in this thread (and bundle cleanly).
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    await import('pdfjs-dist/legacy/build/pdf.mjs');
  } else {
    await import('mammoth');
  }
};

/**
 * The text of a PDF: at most `maxPages` pages (a longer file is refused before any page is
 * read) and `maxCharacters` characters (reading stops at the page that passes it); the
 * signal is checked between pages.
 */
export const parsePdf = async (
  bytes: Uint8Array,
  signal: AbortSignal,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<ParsedDocument> => {
  await loadParser('pdf');
  const { getDocument, VerbosityLevel } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let document: Awaited<ReturnType<typeof getDocument>['promise']>;
  try {
    document = await getDocument({
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: VerbosityLevel.ERRORS,
    }).promise;
  } catch (error) {
    throw corruptFile('pdf', error);
  }
  try {
    if (document.numPages > limits.maxPages) {
      throw tooComplex(`it has ${document.numPages} pages (at most ${limits.maxPages} are read)`);
    }
    const pages: string[] = [];
    let characters = 0;
    for (let number = 1; number <= document.numPages; number += 1) {
      signal.throwIfAborted();
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      const text = content.items
        .map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : ''))
        .join('');
      page.cleanup();
      characters += text.length;
      if (characters > limits.maxCharacters) throw tooManyCharacters(limits.maxCharacters);
      pages.push(text);
    }
    return { text: pages.join('\n'), pages: document.numPages };
  } catch (error) {
    if (error instanceof JobFailure || signal.aborted) throw error;
    throw corruptFile('pdf', error);
  } finally {
    await document.destroy();
  }
};

/**
 * The text of a DOCX. Its zip directory is checked against the limits first and each entry
 * is inflated here, never past its declared size; mammoth then reads an archive of stored
 * entries, so it has nothing left to inflate.
 */
export const parseDocx = async (
  bytes: Uint8Array,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<ParsedDocument> => {
  const stored = writeStoredZip(inflateEntries(readZipEntries(bytes, limits.zip)));
  const mammoth = await import('mammoth');
  let text: string;
  try {
    text = (await mammoth.extractRawText({ buffer: stored })).value;
  } catch (error) {
    throw corruptFile('docx', error);
  }
  if (text.length > limits.maxCharacters) throw tooManyCharacters(limits.maxCharacters);
  return { text };
};

/** Parses a PDF or DOCX (run inside the parse thread, see parse-thread.ts). */
export const parseDocument = (
  format: ParsedFormat,
  bytes: Uint8Array,
  signal: AbortSignal,
  limits: DocumentLimits = DOCUMENT_LIMITS,
): Promise<ParsedDocument> => (format === 'pdf' ? parsePdf(bytes, signal, limits) : parseDocx(bytes, limits));
