import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobFailure } from '../../../lambdas/jobs/job-failure';
import { findJobType } from '../../../lambdas/jobs/registry';
import { DOCUMENT_LIMITS } from '../../../lambdas/jobs/resume/document-limits';
import {
  MAX_PARSE_THREADS,
  PARSE_TIME_LIMIT_MS,
  parseInThread,
} from '../../../lambdas/jobs/resume/parse-thread';
import { toJobError } from '../../../lambdas/worker/process-message';
import { pdfWithPages } from '../support/hostile-files';

// Each test starts worker threads (a second or two each on a busy machine).
jest.setTimeout(30_000);

// Thread code standing in for a parser gone wrong: plain ES modules the thread runs as they are.
let folder: string;
const threadFile = (name: string, code: string) => {
  const file = path.join(folder, name);
  writeFileSync(file, code);
  return pathToFileURL(file);
};
let spinning: URL;
let allocating: URL;
let slowToLoad: URL;
let fillingBuffers: URL;

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'parse-thread-'));
  const started =
    "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ kind: 'started' });";
  spinning = threadFile('spinning.mjs', `${started}\nfor (;;) {}\n`);
  allocating = threadFile(
    'allocating.mjs',
    `${started}\nconst kept = []; for (;;) kept.push(new Array(100_000).fill({ page: kept.length }));\n`,
  );
  // Buffers live outside the heap limits (as pdf.js's inflated streams do): 1 MB every 2 ms, kept.
  fillingBuffers = threadFile(
    'filling-buffers.mjs',
    [
      started,
      'const kept = [];',
      'const pause = new Int32Array(new SharedArrayBuffer(4));',
      'for (;;) {',
      '  kept.push(Buffer.alloc(1024 * 1024, 1));',
      '  Atomics.wait(pause, 0, 0, 2);',
      '}',
    ].join('\n'),
  );
  // Loads for 1.5 s (blocking, like compiling a big module), then parses at once.
  slowToLoad = threadFile(
    'slow-to-load.mjs',
    [
      "import { parentPort } from 'node:worker_threads';",
      'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);',
      "parentPort.postMessage({ kind: 'started' });",
      "parentPort.postMessage({ kind: 'parsed', text: 'loaded slowly, parsed fast' });",
    ].join('\n'),
  );
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const never = () => new AbortController().signal;

test('a parse that never ends is terminated at the time limit as FILE_TOO_COMPLEX, and the main thread stays responsive', async () => {
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks += 1;
  }, 20);
  const started = Date.now();
  try {
    await expect(
      parseInThread('pdf', Buffer.from('%PDF-'), {
        signal: never(),
        timeLimitMs: 1000,
        threadFile: spinning,
      }),
    ).rejects.toMatchObject({
      code: 'FILE_TOO_COMPLEX',
      retryable: false,
      message: expect.stringContaining('took longer than 1 s'),
    });
  } finally {
    clearInterval(ticker);
  }
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(1000);
  expect(elapsed).toBeLessThan(3000);
  // A 20 ms timer kept firing while the thread spun.
  expect(ticks).toBeGreaterThanOrEqual(25);
});

test('the time limit runs from the start of parsing: a thread slow to load its parser is not blamed on the file', async () => {
  await expect(
    parseInThread('pdf', Buffer.from('%PDF-'), {
      signal: never(),
      timeLimitMs: 1000,
      threadFile: slowToLoad,
    }),
  ).resolves.toEqual({ text: 'loaded slowly, parsed fast' });
});

test('a parse that allocates without bound ends its own thread as FILE_TOO_COMPLEX; the next parse runs normally', async () => {
  await expect(
    parseInThread('docx', Buffer.from('PK'), {
      signal: never(),
      timeLimitMs: 30_000,
      threadFile: allocating,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    }),
  ).rejects.toMatchObject({
    code: 'FILE_TOO_COMPLEX',
    message: expect.stringContaining('more memory than allowed'),
  });
  const parsed = await parseInThread('pdf', await pdfWithPages(1), { signal: never() });
  expect(parsed).toEqual({ text: 'Page 1 of a resume', pages: 1 });
});

test('a parse that fills buffers outside its heap is ended by the memory budget as FILE_TOO_COMPLEX', async () => {
  const started = Date.now();
  await expect(
    parseInThread('pdf', Buffer.from('%PDF-'), {
      signal: never(),
      timeLimitMs: 60_000,
      memoryBudgetMb: 64,
      threadFile: fillingBuffers,
    }),
  ).rejects.toMatchObject({
    code: 'FILE_TOO_COMPLEX',
    message: expect.stringContaining('more memory than allowed'),
  });
  // Ended by memory (64 MB at 500 MB/s), long before the time limit.
  expect(Date.now() - started).toBeLessThan(10_000);
});

test("the job's signal terminates the thread at once and its reason is what the parse throws", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('CANCELLED')), 300);
  const started = Date.now();
  await expect(
    parseInThread('pdf', Buffer.from('%PDF-'), { signal: controller.signal, threadFile: spinning }),
  ).rejects.toThrow('CANCELLED');
  expect(Date.now() - started).toBeLessThan(2000);
});

test('a signal aborted before the parse starts no thread', async () => {
  const controller = new AbortController();
  controller.abort(new Error('TIMEOUT'));
  await expect(
    parseInThread('pdf', Buffer.from('%PDF-'), { signal: controller.signal, threadFile: spinning }),
  ).rejects.toThrow('TIMEOUT');
});

test('a thread whose code cannot load is our fault, not the file’s: an ordinary (retried) error', async () => {
  const missing = pathToFileURL(path.join(tmpdir(), 'no-such-parse-thread.mjs'));
  const error = await parseInThread('pdf', Buffer.from('%PDF-'), {
    signal: never(),
    threadFile: missing,
  }).catch((thrown: unknown) => thrown);
  expect(error).not.toBeInstanceOf(JobFailure);
  expect(toJobError(error)).toMatchObject({ code: 'HANDLER_ERROR', retryable: true });
});

test(`at most ${MAX_PARSE_THREADS} threads parse at once; the others wait for a free one`, async () => {
  const started = Date.now();
  const finished: number[] = [];
  await Promise.all(
    Array.from({ length: MAX_PARSE_THREADS + 1 }, () =>
      parseInThread('pdf', Buffer.from('%PDF-'), { signal: never(), timeLimitMs: 500, threadFile: spinning })
        .catch(() => undefined)
        .then(() => finished.push(Date.now() - started)),
    ),
  );
  finished.sort((a, b) => a - b);
  // The first threads end at the time limit together; the last starts only then.
  expect(finished[MAX_PARSE_THREADS - 1]).toBeLessThan(1000);
  expect(finished[MAX_PARSE_THREADS]).toBeGreaterThanOrEqual(1000);
});

test('the parse time limit ends before the jobs that parse time out (so a slow file is not retried)', () => {
  for (const type of ['resume.extract', 'resume.analyze']) {
    expect(PARSE_TIME_LIMIT_MS).toBeLessThan((findJobType(type)?.timeoutSeconds ?? 0) * 1000 - 10_000);
  }
});

test('the limits are the ones documented', () => {
  expect(DOCUMENT_LIMITS).toMatchObject({
    maxPages: 50,
    maxCharacters: 200_000,
    zip: { maxEntryBytes: 20 * 1024 * 1024, maxTotalBytes: 50 * 1024 * 1024, maxRatio: 100 },
  });
});
