import { type ResourceLimits, Worker } from 'node:worker_threads';
import { JobFailure } from '../job-failure';
import {
  DOCUMENT_LIMITS,
  type DocumentLimits,
  type ParsedDocument,
  type ParsedFormat,
  tooComplex,
} from './document-limits';

/** The parse thread's bundle in the worker's asset is `<PARSE_THREAD_NAME>.mjs`. */
export const PARSE_THREAD_NAME = 'parse-thread';
/** The parse thread's entry, relative to the project root (bundled for Lambda). */
export const PARSE_THREAD_ENTRY = 'lambdas/jobs/resume/parse-thread-main.ts';

/**
 * The parse thread's code, `parse-thread.mjs` beside this module. In source (Jest, the
 * local cloud) that is the small file beside this one that compiles parse-thread-main.ts
 * with tsx. In Lambda this module is inside the handler's bundle `index.mjs`, and the
 * worker's asset holds `parse-thread.mjs` beside it: the bundle of parse-thread-main.ts,
 * built by a second esbuild run (`threadEntries` of JobQueueFunction). One relative URL
 * thus finds the thread in both. A second bundle rather than re-entering the handler's
 * bundle with a workerData flag: the thread loads only the parsers (no AWS clients, no
 * handler config), and the handler's start-up need not know about threads.
 */
export const PARSE_THREAD_FILE = new URL(`./${PARSE_THREAD_NAME}.mjs`, import.meta.url);

/**
 * Longest a document is parsed. Shorter than the timeouts of the types that parse
 * (resume.extract 60 s, resume.analyze 300 s), so a file that parses too long fails as
 * FILE_TOO_COMPLEX (not retried) instead of timing the job out (retried).
 */
export const PARSE_TIME_LIMIT_MS = 20_000;

/**
 * Memory of one parse thread. Its heap is bounded here: running out ends the thread,
 * not the worker and the other jobs of its batch. Buffers (ArrayBuffers) live outside
 * the heap and outside these limits — pdf.js inflates a content stream into one, so a
 * 200 KB PDF can hold a 200 MB stream — hence PARSE_MEMORY_BUDGET_MB as well.
 */
export const PARSE_RESOURCE_LIMITS: ResourceLimits = {
  maxOldGenerationSizeMb: 256,
  maxYoungGenerationSizeMb: 32,
  stackSizeMb: 4,
};

/**
 * Most the process's resident memory may grow while a thread parses (heap, buffers and
 * the thread itself), checked every PARSE_MEMORY_CHECK_MS; past it the thread is ended
 * as FILE_TOO_COMPLEX. Legitimate résumés need well under 150 MB.
 */
export const PARSE_MEMORY_BUDGET_MB = 384;
export const PARSE_MEMORY_CHECK_MS = 50;

/**
 * Threads parsing at once in one worker process (a batch runs its jobs concurrently).
 * One: the memory budget is measured on the whole process, so one thread at a time
 * makes its growth that thread's; and a 1 GB Lambda has about half a vCPU, so a second
 * thread would not parse any sooner.
 */
export const MAX_PARSE_THREADS = 1;

export interface ParseThreadOptions {
  /** The job's signal: aborting it terminates the thread and rethrows the signal's reason. */
  readonly signal: AbortSignal;
  /** @default PARSE_TIME_LIMIT_MS */
  readonly timeLimitMs?: number;
  /** @default PARSE_RESOURCE_LIMITS */
  readonly resourceLimits?: ResourceLimits;
  /** @default PARSE_MEMORY_BUDGET_MB */
  readonly memoryBudgetMb?: number;
  /** @default DOCUMENT_LIMITS */
  readonly limits?: DocumentLimits;
  /** The thread's module (tests run other code in it). @default PARSE_THREAD_FILE */
  readonly threadFile?: URL;
}

/** What the parse thread receives (as workerData). */
export interface ParseRequest {
  readonly format: ParsedFormat;
  readonly bytes: Uint8Array;
  readonly limits: DocumentLimits;
}

/**
 * What the parse thread posts: `started` once its parser is loaded (the time limit runs
 * from there: loading is our code, not the file), then one `parsed` or `failed`.
 */
export type ParseThreadMessage =
  | { readonly kind: 'started' }
  | ({ readonly kind: 'parsed' } & ParsedDocument)
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

/** Message the runner sends before terminating, so a parser between pages stops by itself. */
export const ABORT_MESSAGE = 'abort';

class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free -= 1;
    } else {
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(grant), 1);
          reject(signal.reason);
        };
        this.waiting.push(grant);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}

const slots = new Slots(MAX_PARSE_THREADS);
const MB = 1024 * 1024;

/**
 * Parses a PDF or DOCX in a worker thread with bounded memory, ended (`terminate()`)
 * `timeLimitMs` after the thread has started parsing, past the memory budget, or when the
 * job's signal aborts — synchronous parsing never yields to a timer, so only another
 * thread can stop it. Out of memory or out of time is FILE_TOO_COMPLEX (not retried); the
 * parser's own verdicts (CORRUPT_FILE, FILE_TOO_COMPLEX) come back as they were thrown; an
 * aborted signal rethrows its reason (the worker records TIMEOUT or the cancel). Resolves
 * or rejects only once the thread has exited, so at most MAX_PARSE_THREADS ever exist.
 */
export const parseInThread = async (
  format: ParsedFormat,
  bytes: Uint8Array,
  options: ParseThreadOptions,
): Promise<ParsedDocument> => {
  const release = await slots.acquire(options.signal);
  try {
    return await runThread({ format, bytes, limits: options.limits ?? DOCUMENT_LIMITS }, options);
  } finally {
    release();
  }
};

const runThread = (request: ParseRequest, options: ParseThreadOptions): Promise<ParsedDocument> =>
  new Promise<ParsedDocument>((resolve, reject) => {
    const { signal } = options;
    const timeLimitMs = options.timeLimitMs ?? PARSE_TIME_LIMIT_MS;
    const worker = new Worker(options.threadFile ?? PARSE_THREAD_FILE, {
      workerData: request,
      resourceLimits: options.resourceLimits ?? PARSE_RESOURCE_LIMITS,
    });
    let verdict: { ok: true; value: ParsedDocument } | { ok: false; error: unknown } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const outOfMemory = () => tooComplex('reading it needs more memory than allowed');
    // The thread's buffers are outside its heap limits: watch the process as a whole.
    const memoryCeiling = process.memoryUsage.rss() + (options.memoryBudgetMb ?? PARSE_MEMORY_BUDGET_MB) * MB;
    const memoryWatch = setInterval(() => {
      if (process.memoryUsage.rss() > memoryCeiling) decide({ ok: false, error: outOfMemory() });
    }, PARSE_MEMORY_CHECK_MS);
    const decide = (outcome: NonNullable<typeof verdict>) => {
      if (verdict) return;
      verdict = outcome;
      clearTimeout(timer);
      clearInterval(memoryWatch);
      signal.removeEventListener('abort', onAbort);
      worker.postMessage(ABORT_MESSAGE);
      void worker.terminate();
    };
    const onAbort = () => decide({ ok: false, error: signal.reason });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();

    worker.on('message', (message: ParseThreadMessage) => {
      if (message.kind === 'started') {
        if (verdict || timer) return;
        timer = setTimeout(
          () =>
            decide({ ok: false, error: tooComplex(`reading it took longer than ${timeLimitMs / 1000} s`) }),
          timeLimitMs,
        );
      } else if (message.kind === 'parsed') {
        const { text, pages } = message;
        decide({ ok: true, value: { text, ...(pages === undefined ? {} : { pages }) } });
      } else {
        decide({ ok: false, error: new JobFailure(message.code, message.message, { retryable: false }) });
      }
    });
    worker.on('error', (error: Error & { code?: string }) =>
      decide({
        ok: false,
        // Any other error (the thread's code failed to load) is ours, not the file's: retried.
        error: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? outOfMemory() : error,
      }),
    );
    worker.on('exit', (code) => {
      decide({ ok: false, error: new Error(`The parse thread exited (code ${code}) without an answer`) });
      const outcome = verdict as NonNullable<typeof verdict>;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    });
  });
