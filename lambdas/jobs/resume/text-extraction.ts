import { JobFailure } from '../job-failure';

export type ResumeFormat = 'pdf' | 'docx' | 'txt';

export const CONTENT_TYPES: Readonly<Record<ResumeFormat, readonly string[]>> = {
  pdf: ['application/pdf'],
  docx: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  txt: ['text/plain'],
};

const corrupt = (format: ResumeFormat, cause: unknown) =>
  new JobFailure('CORRUPT_FILE', `The ${format.toUpperCase()} file could not be read; it may be damaged.`, {
    retryable: false,
    cause,
  });

/** The format the bytes really are, whatever the declared content type says. */
export const sniffFormat = (bytes: Uint8Array, contentType: string | undefined): ResumeFormat => {
  const head = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (head.startsWith('%PDF-')) return 'pdf';
  if (head.startsWith('PK\u0003\u0004')) return 'docx';
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/plain') return 'txt';
  if (type && CONTENT_TYPES.pdf.includes(type)) return 'pdf';
  if (type && CONTENT_TYPES.docx.includes(type)) return 'docx';
  throw new JobFailure('UNSUPPORTED_FILE', 'Resumes must be PDF, DOCX or plain text files.', {
    retryable: false,
  });
};

const extractPdf = async (bytes: Uint8Array): Promise<{ text: string; pages: number }> => {
  // Registering the worker module first lets pdf.js run in this thread (and bundle cleanly).
  await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
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
    throw corrupt('pdf', error);
  }
  try {
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number += 1) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : '')).join(''),
      );
    }
    return { text: pages.join('\n'), pages: document.numPages };
  } finally {
    await document.destroy();
  }
};

const extractDocx = async (bytes: Uint8Array): Promise<{ text: string }> => {
  const mammoth = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    return { text: value };
  } catch (error) {
    throw corrupt('docx', error);
  }
};

const extractTxt = (bytes: Uint8Array): { text: string } => {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '') };
  } catch (error) {
    throw corrupt('txt', error);
  }
};

/** The text of a PDF, DOCX or UTF-8 text file; corrupt or unsupported files fail fast, not retried. */
export const extractText = async (
  bytes: Uint8Array,
  contentType: string | undefined,
): Promise<{ format: ResumeFormat; text: string; pages?: number }> => {
  const format = sniffFormat(bytes, contentType);
  const extracted: { text: string; pages?: number } =
    format === 'pdf'
      ? await extractPdf(bytes)
      : format === 'docx'
        ? await extractDocx(bytes)
        : extractTxt(bytes);
  const text = extracted.text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length === 0) {
    throw new JobFailure(
      'NO_TEXT',
      'The file has no extractable text (a scanned image needs OCR, which is not supported).',
      { retryable: false },
    );
  }
  return { format, text, ...(extracted.pages === undefined ? {} : { pages: extracted.pages }) };
};
