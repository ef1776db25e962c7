import { deflateRawSync } from 'node:zlib';
import mammoth from 'mammoth';
import { DOCX_LIMITS } from '../../../lambdas/jobs/resume/document-limits';
import { inflateEntries, readZipEntries, writeStoredZip } from '../../../lambdas/jobs/resume/zip-archive';
import { docxBomb, docxOf, randomEntry, rawZip } from '../support/hostile-files';

const failureOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string; retryable: boolean };
  }
  throw new Error('expected a failure');
};

describe('readZipEntries (the DOCX limits, from the directory alone)', () => {
  test('a 200 MB entry of zeros is refused from its declared size, before anything is inflated', async () => {
    const bomb = await docxBomb();
    expect(bomb.length).toBeLessThan(400 * 1024);
    const started = Date.now();
    const failure = failureOf(() => readZipEntries(bomb));
    expect(Date.now() - started).toBeLessThan(100);
    expect(failure).toMatchObject({ code: 'FILE_TOO_COMPLEX', retryable: false });
    expect(failure.message).toContain('"word/document.xml" unpacks to 200 MB (at most 20 MB)');
  });

  test('entries within the per-entry size but past the total together are refused', () => {
    const zip = rawZip([
      randomEntry('a.xml', 40_000),
      randomEntry('b.xml', 40_000),
      randomEntry('c.xml', 40_000),
    ]);
    const limits = { ...DOCX_LIMITS, maxEntryBytes: 50_000, maxTotalBytes: 100_000 };
    expect(readZipEntries(zip, { ...limits, maxTotalBytes: 120_000 })).toHaveLength(3);
    expect(failureOf(() => readZipEntries(zip, limits))).toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('more than 0.1 MB'),
    });
  });

  test('an entry over 1 MB compressed more than 100:1 is refused, however small its declared size', () => {
    const zeros = Buffer.alloc(2 * 1024 * 1024);
    const zip = rawZip([
      { name: 'word/document.xml', data: deflateRawSync(zeros), uncompressedSize: zeros.length },
    ]);
    expect(failureOf(() => readZipEntries(zip))).toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('compressed more than 100:1'),
    });
    // The same ratio in a small entry (runs of spaces in XML) is harmless and read.
    const small = Buffer.alloc(64 * 1024);
    const smallZip = rawZip([{ name: 'a.xml', data: deflateRawSync(small), uncompressedSize: small.length }]);
    expect(readZipEntries(smallZip)).toHaveLength(1);
  });

  test('more entries than allowed are refused', () => {
    const zip = rawZip(Array.from({ length: 5 }, (_, index) => randomEntry(`${index}.xml`, 10)));
    expect(failureOf(() => readZipEntries(zip, { ...DOCX_LIMITS, maxEntries: 4 }))).toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('5 entries'),
    });
  });

  test('a ZIP64 size marker is refused', () => {
    const zip = rawZip([{ name: 'big.xml', data: Buffer.from([3, 0]), uncompressedSize: 0xffffffff }]);
    expect(failureOf(() => readZipEntries(zip, { ...DOCX_LIMITS, maxEntryBytes: 0xffffffff }))).toMatchObject(
      {
        code: 'FILE_TOO_COMPLEX',
        message: expect.stringContaining('ZIP64'),
      },
    );
  });

  test('a truncated or foreign archive is CORRUPT_FILE', async () => {
    const docx = await docxOf(['Ada Lovelace']);
    expect(failureOf(() => readZipEntries(docx.subarray(0, docx.length - 30)))).toMatchObject({
      code: 'CORRUPT_FILE',
      retryable: false,
    });
    expect(
      failureOf(() => readZipEntries(Buffer.from('PK\u0003\u0004 not really a zip at all'))),
    ).toMatchObject({
      code: 'CORRUPT_FILE',
    });
    const unknownMethod = rawZip([
      { name: 'a.xml', data: Buffer.from('xx'), method: 12, uncompressedSize: 2 },
    ]);
    expect(failureOf(() => readZipEntries(unknownMethod))).toMatchObject({ code: 'CORRUPT_FILE' });
  });
});

describe('inflateEntries', () => {
  test('an entry that inflates past its declared size is refused after inflating only what it declared', async () => {
    const liar = await docxBomb(50 * 1024 * 1024, 1000);
    const entries = readZipEntries(liar, { ...DOCX_LIMITS, maxRatio: Number.POSITIVE_INFINITY });
    const started = Date.now();
    expect(failureOf(() => inflateEntries(entries))).toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      message: expect.stringContaining('"word/document.xml" unpacks to more than it declares'),
    });
    expect(Date.now() - started).toBeLessThan(200);
  });

  test('an entry shorter than declared is CORRUPT_FILE', () => {
    const zip = rawZip([{ name: 'a.xml', data: deflateRawSync('short'), uncompressedSize: 50 }]);
    expect(failureOf(() => inflateEntries(readZipEntries(zip)))).toMatchObject({ code: 'CORRUPT_FILE' });
  });
});

describe('writeStoredZip', () => {
  test('a real DOCX, inflated within its limits and rewritten stored, reads the same in mammoth', async () => {
    const docx = await docxOf(['Ada Lovelace', 'Analyst, Babbage & Co']);
    const entries = readZipEntries(docx);
    expect(entries.map((entry) => entry.name)).toContain('word/document.xml');
    const stored = writeStoredZip(inflateEntries(entries));
    const rewritten = readZipEntries(stored);
    expect(rewritten.map((entry) => [entry.name, entry.method])).toEqual(
      entries.map((entry) => [entry.name, 0]),
    );
    const [original, copy] = await Promise.all([
      mammoth.extractRawText({ buffer: docx }),
      mammoth.extractRawText({ buffer: stored }),
    ]);
    expect(copy.value).toBe(original.value);
    expect(copy.value).toContain('Analyst, Babbage & Co');
  });
});
