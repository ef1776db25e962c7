import { JobFailure } from '../job-failure';
import { corruptFile, DOCUMENT_LIMITS, type DocumentLimits, tooManyCharacters } from './document-limits';
import { type ParseThreadOptions, parseInThread } from './parse-thread';

export type ResumeFormat = 'pdf' | 'docx' | 'txt';

export const CONTENT_TYPES: Readonly<Record<ResumeFormat, readonly string[]>> = {
  pdf: ['application/pdf'],
  docx: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  txt: ['text/plain'],
};

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

const extractTxt = (bytes: Uint8Array, limits: DocumentLimits): { text: string } => {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch (error) {
    throw corruptFile('txt', error);
  }
  if (text.length > limits.maxCharacters) throw tooManyCharacters(limits.maxCharacters);
  return { text };
};

/**
 * The text of a PDF, DOCX or UTF-8 text file. PDF and DOCX are parsed in a worker thread
 * with bounded memory and time (parse-thread.ts); a corrupt, unsupported or hostile file
 * fails fast and is not retried (CORRUPT_FILE, UNSUPPORTED_FILE, FILE_TOO_COMPLEX).
 */
export const extractText = async (
  bytes: Uint8Array,
  contentType: string | undefined,
  signal: AbortSignal,
  options: Omit<ParseThreadOptions, 'signal'> = {},
): Promise<{ format: ResumeFormat; text: string; pages?: number }> => {
  const format = sniffFormat(bytes, contentType);
  const extracted: { text: string; pages?: number } =
    format === 'txt'
      ? extractTxt(bytes, options.limits ?? DOCUMENT_LIMITS)
      : await parseInThread(format, bytes, { ...options, signal });
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
