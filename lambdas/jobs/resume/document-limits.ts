import { JobFailure } from '../job-failure';

/**
 * How much a DOCX (a zip) may unpack to. Word documents, images included, stay far below:
 * a résumé's XML is a few hundred KB and compresses about 10:1.
 */
export interface ZipLimits {
  readonly maxEntries: number;
  /** Largest uncompressed size of one entry. */
  readonly maxEntryBytes: number;
  /** Largest uncompressed size of all entries together. */
  readonly maxTotalBytes: number;
  /** Largest uncompressed ÷ compressed size of an entry over `ratioCheckedAboveBytes`. */
  readonly maxRatio: number;
  /** Small entries may compress better than `maxRatio` (e.g. runs of spaces) without harm. */
  readonly ratioCheckedAboveBytes: number;
}

export const DOCX_LIMITS: ZipLimits = {
  maxEntries: 2_000,
  maxEntryBytes: 20 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
  maxRatio: 100,
  ratioCheckedAboveBytes: 1024 * 1024,
};

/** Where reading a document stops: past these a file is FILE_TOO_COMPLEX, not a résumé. */
export interface DocumentLimits {
  readonly maxPages: number;
  /** Characters of extracted text. */
  readonly maxCharacters: number;
  readonly zip: ZipLimits;
}

export const DOCUMENT_LIMITS: DocumentLimits = {
  maxPages: 50,
  maxCharacters: 200_000,
  zip: DOCX_LIMITS,
};

export type ParsedFormat = 'pdf' | 'docx';

export interface ParsedDocument {
  readonly text: string;
  readonly pages?: number;
}

export const corruptFile = (format: string, cause?: unknown) =>
  new JobFailure('CORRUPT_FILE', `The ${format.toUpperCase()} file could not be read; it may be damaged.`, {
    retryable: false,
    cause,
  });

/** A file within the upload size that would take too much memory, time or text to read. */
export const tooComplex = (reason: string) =>
  new JobFailure('FILE_TOO_COMPLEX', `The file is too complex to read safely: ${reason}.`, {
    retryable: false,
  });

export const tooManyCharacters = (limit: number) =>
  tooComplex(`it holds more than ${limit.toLocaleString('en-US')} characters of text`);
