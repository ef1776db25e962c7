import type { JobContext } from '../job-type';
import { extractUpload } from './resume-files';

export interface ExtractPayload {
  readonly fileKey: string;
}

/**
 * resume.extract: an uploaded PDF, DOCX or text resume → `{ fileHash, text, sections,
 * cached }`. The same file (SHA-256) of the same user is extracted once.
 */
export const extractResume = async (context: JobContext<ExtractPayload>) => {
  await context.progress({ percent: 10, stage: 'reading', message: 'reading the upload' });
  const extraction = await extractUpload(context.payload.fileKey, context.userId, context.signal);
  await context.progress({ percent: 100, stage: extraction.cached ? 'cached' : 'extracted' });
  context.logger.info('Resume extracted', { fileHash: extraction.fileHash, cached: extraction.cached });
  return {
    fileHash: extraction.fileHash,
    format: extraction.format,
    ...(extraction.pages === undefined ? {} : { pages: extraction.pages }),
    text: extraction.text,
    sections: extraction.sections,
    cached: extraction.cached,
  };
};
