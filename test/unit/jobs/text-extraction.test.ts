import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import PDFDocument from 'pdfkit';
import { DOCUMENT_LIMITS } from '../../../lambdas/jobs/resume/document-limits';
import { parseInThread } from '../../../lambdas/jobs/resume/parse-thread';
import { extractText } from '../../../lambdas/jobs/resume/text-extraction';
import { docxBomb, docxOf, pdfWithPages } from '../support/hostile-files';

// Each test starts worker threads (a second or two each on a busy machine).
jest.setTimeout(30_000);

// These run the real parse thread (pdf.js and mammoth in a worker thread, compiled by tsx).
const never = () => new AbortController().signal;
const PDF = 'application/pdf';

/** A PDF whose text flows over pages in a tiny font: many characters on few pages. */
const densePdf = (characters: number) =>
  new Promise<Buffer>((resolve, reject) => {
    const document = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
    document.fontSize(2).text('resume '.repeat(Math.ceil(characters / 7)));
    document.end();
  });

describe('files that read as before', () => {
  test('a PDF gives its text and page count', async () => {
    await expect(extractText(await pdfWithPages(2), PDF, never())).resolves.toEqual({
      format: 'pdf',
      text: 'Page 1 of a resume\nPage 2 of a resume',
      pages: 2,
    });
  });

  test('a DOCX gives its text', async () => {
    const docx = await docxOf(['Ada Lovelace', 'Skills', 'TypeScript']);
    await expect(extractText(docx, undefined, never())).resolves.toEqual({
      format: 'docx',
      text: 'Ada Lovelace\n\nSkills\n\nTypeScript',
    });
  });

  test('a text file gives its text, without a byte-order mark', async () => {
    await expect(
      extractText(Buffer.from('\uFEFFAda Lovelace\nSkills'), 'text/plain', never()),
    ).resolves.toEqual({
      format: 'txt',
      text: 'Ada Lovelace\nSkills',
    });
  });

  test('a PDF of exactly the page limit is read', async () => {
    const result = await extractText(await pdfWithPages(DOCUMENT_LIMITS.maxPages), PDF, never());
    expect(result.pages).toBe(50);
    expect(result.text).toContain('Page 50 of a resume');
  });
});

describe('hostile files fail their job at once, not retried', () => {
  test('a DOCX zip bomb (200 MB of zeros in one entry) is FILE_TOO_COMPLEX within moments, without inflating', async () => {
    const bomb = await docxBomb();
    const started = Date.now();
    await expect(extractText(bomb, undefined, never())).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      retryable: false,
      message: expect.stringContaining('word/document.xml'),
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a DOCX whose entry inflates past what it declares is FILE_TOO_COMPLEX', async () => {
    await expect(
      extractText(await docxBomb(30 * 1024 * 1024, 4096), undefined, never()),
    ).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('more than it declares'),
    });
  });

  // The rule: a PDF over the page limit is refused whole (not truncated): a résumé has a few pages.
  test('a PDF over 50 pages is FILE_TOO_COMPLEX, refused before any page is read', async () => {
    await expect(extractText(await pdfWithPages(51), PDF, never())).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      retryable: false,
      message: expect.stringContaining('it has 51 pages (at most 50 are read)'),
    });
  });

  test('a PDF with more than 200,000 characters of text is FILE_TOO_COMPLEX', async () => {
    const pdf = await densePdf(210_000);
    await expect(extractText(pdf, PDF, never())).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('more than 200,000 characters'),
    });
    // Under the limit, the same kind of file reads.
    const smaller = await extractText(await densePdf(50_000), PDF, never());
    expect(smaller.text.length).toBeGreaterThan(45_000);
  });

  test('a DOCX or text file with more than the character limit is FILE_TOO_COMPLEX', async () => {
    const long = 'x'.repeat(DOCUMENT_LIMITS.maxCharacters + 1);
    await expect(extractText(await docxOf([long]), undefined, never())).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
    });
    await expect(extractText(Buffer.from(long), 'text/plain', never())).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
    });
  });

  test('damaged PDF and DOCX files are CORRUPT_FILE', async () => {
    await expect(extractText(Buffer.from('%PDF-1.7\n garbage'), PDF, never())).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      retryable: false,
    });
    const docx = await docxOf(['Ada']);
    await expect(extractText(docx.subarray(0, docx.length / 2), undefined, never())).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      retryable: false,
    });
  });
});

test('the PDF parser checks its signal between pages', async () => {
  const thread = pathToFileURL(path.join(__dirname, 'threads/pre-aborted-pdf.mjs'));
  await expect(
    parseInThread('pdf', await pdfWithPages(3), { signal: never(), threadFile: thread }),
  ).rejects.toMatchObject({ code: 'STOPPED', message: 'stopped before page 1' });
});
