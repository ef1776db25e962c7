import type { ApiErrorBody } from './errors';
import {
  errorBodyOf,
  JobQueueApiError,
  JobQueueNetworkError,
  JobQueueTimeoutError,
  parseRetryAfter,
} from './errors';
import { isTerminalFrame } from './frame-order';
import type {
  AdminListFilters,
  AlarmEntry,
  BatchEntry,
  BatchSubmission,
  BulkRetryRequest,
  CleanRequest,
  DeadLetter,
  Health,
  ItemPage,
  Job,
  JobEvent,
  JobFrame,
  JobItem,
  JobPage,
  ListFilters,
  Priority,
  QueueEntry,
  StatsQuery,
  StatsView,
  SubmitOptions,
  UploadInput,
  UploadResult,
  UserNotification,
  WatchAllFrame,
  WebhookSecret,
} from './types';
import { type ReconnectOptions, type WatchOptions, type WebSocketConstructor, watchFrames } from './watch';

export type TokenSource = string | (() => string | Promise<string>);

export interface JobQueueClientOptions {
  /** The HTTP API's base URL (local: `httpUrl` of `.local/stack.json`; AWS: the `HttpApiUrl` output). */
  readonly url: string;
  /** The WebSocket URL (`wsUrl` / `WebSocketUrl`); needed by `watch`, optional for `waitFor`. */
  readonly webSocketUrl?: string;
  /** A JWT, or a function asked for one before each request and connection (to refresh it). */
  readonly token: TokenSource;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default globalThis.WebSocket (browsers, Node ≥ 22); in Node 20 pass `WebSocket` from `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect backoff of `watch` and `waitFor`. */
  readonly reconnect?: ReconnectOptions;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface WaitForOptions extends RequestOptions {
  /** Give up (JobQueueTimeoutError) after this long. @default no limit */
  readonly timeoutMs?: number;
  /**
   * Read the job over HTTP this often too, so a frame lost (or a WebSocket that cannot
   * connect) never leaves the wait hanging. @default 5000
   */
  readonly pollIntervalMs?: number;
}

type Query = Readonly<Record<string, string | number | undefined>>;

interface Call extends RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
export const isFinished = (job: Pick<Job, 'status'>): boolean => TERMINAL.has(job.status);

const queryString = (query: Query = {}): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
};

const segment = (value: string) => encodeURIComponent(value);

const byteLength = (data: UploadInput['data']): number => {
  if (typeof data === 'string') return new TextEncoder().encode(data).byteLength;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return data.size;
};

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Every item of a paged listing, reading the next page only when the consumer gets there. */
async function* allPages<T>(
  readPage: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
) {
  let cursor: string | undefined;
  do {
    const page = await readPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * A typed client of the jobqueue HTTP and WebSocket contract (CONTRACT.md). Runs in
 * browsers and Node ≥ 20 (global `fetch`; a WebSocket constructor from `ws` in Node 20).
 * Errors are JobQueueApiError (the API answered with an error), JobQueueNetworkError (no
 * answer) or JobQueueTimeoutError (waitFor); an aborted call rejects with the signal's reason.
 */
export class JobQueueClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  /** Dead-letter queues per priority (admins). */
  readonly dlq: {
    readonly peek: (
      priority: Priority,
      options?: { limit?: number } & RequestOptions,
    ) => Promise<DeadLetter[]>;
    readonly redrive: (priority: Priority, options?: RequestOptions) => Promise<{ moved: number }>;
    readonly purge: (priority: Priority, options?: RequestOptions) => Promise<{ purged: number }>;
  };

  constructor(private readonly options: JobQueueClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    // Browsers refuse a `fetch` called with another `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.dlq = {
      peek: async (priority, { limit, signal } = {}) =>
        (
          await this.call<{ messages: DeadLetter[] }>('GET', `/v1/queues/${segment(priority)}/dlq`, {
            query: { limit },
            signal,
          })
        ).messages,
      redrive: (priority, { signal } = {}) =>
        this.call('POST', `/v1/queues/${segment(priority)}/dlq/redrive`, { signal }),
      purge: (priority, { signal } = {}) =>
        this.call('POST', `/v1/queues/${segment(priority)}/dlq/purge`, { signal }),
    };
  }

  private async token(): Promise<string> {
    const { token } = this.options;
    return typeof token === 'function' ? token() : token;
  }

  /** One call of the API: the parsed JSON body, or a typed error. */
  private async call<T>(method: string, path: string, call: Call = {}): Promise<T> {
    const url = `${this.baseUrl}${path}${queryString(call.query)}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.token()}`,
      ...call.headers,
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    let text: string;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: call.signal,
      });
      text = await response.text();
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      const reason = error instanceof Error ? error.message : String(error);
      throw new JobQueueNetworkError(`Could not reach the jobqueue API (${method} ${url}): ${reason}`, error);
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!response.ok) {
      throw new JobQueueApiError(
        response.status,
        errorBodyOf(response.status, body),
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    return body as T;
  }

  // ---- Jobs ----

  /** Submits one job: 202 `queued`/`delayed`, or the earlier job an Idempotency-Key names. */
  submit(type: string, payload: Record<string, unknown>, options: SubmitOptions = {}): Promise<Job> {
    const { idempotencyKey, signal, ...rest } = options;
    return this.call('POST', '/v1/jobs', {
      body: { type, payload, ...rest },
      headers: idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey },
      signal,
    });
  }

  /**
   * Submits up to 100 jobs in one call; each entry is accepted or refused on its own, in
   * input order. With an Idempotency-Key, entry i uses `<key>#<i>`.
   */
  async submitBatch(
    jobs: readonly BatchSubmission[],
    options: { idempotencyKey?: string } & RequestOptions = {},
  ): Promise<BatchEntry[]> {
    const answer = await this.call<{ jobs: (Job | { error: ApiErrorBody })[] }>('POST', '/v1/jobs/batch', {
      body: { jobs },
      headers:
        options.idempotencyKey === undefined ? undefined : { 'idempotency-key': options.idempotencyKey },
      signal: options.signal,
    });
    // A job may carry an `error` of its own (a replayed failed job): a job is what has a jobId.
    return answer.jobs.map((entry) =>
      'jobId' in entry
        ? { ok: true, job: entry }
        : { ok: false, error: (entry as { error: ApiErrorBody }).error },
    );
  }

  get(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.call('GET', `/v1/jobs/${segment(jobId)}`, options);
  }

  /** One page of the caller's jobs, newest first. */
  listPage(filters: ListFilters = {}, cursor?: string, options: RequestOptions = {}): Promise<JobPage> {
    return this.call('GET', '/v1/jobs', { query: { ...filters, cursor }, signal: options.signal });
  }

  /** Every job of the caller matching `filters`, newest first, a page (`filters.limit`) at a time. */
  list(filters: ListFilters = {}, options: RequestOptions = {}): AsyncGenerator<Job> {
    return allPages(async (cursor) => {
      const page = await this.listPage(filters, cursor, options);
      return { items: page.jobs, nextCursor: page.nextCursor };
    });
  }

  /** The job's transitions, oldest first. */
  async events(jobId: string, options: RequestOptions = {}): Promise<JobEvent[]> {
    return (await this.call<{ events: JobEvent[] }>('GET', `/v1/jobs/${segment(jobId)}/events`, options))
      .events;
  }

  /** One page of a bulk job's items, in input order. */
  itemsPage(jobId: string, cursor?: string, options: RequestOptions = {}): Promise<ItemPage> {
    return this.call('GET', `/v1/jobs/${segment(jobId)}/items`, {
      query: { cursor },
      signal: options.signal,
    });
  }

  /** Every item of a bulk job, in input order, a page at a time. */
  items(jobId: string, options: RequestOptions = {}): AsyncGenerator<JobItem> {
    return allPages((cursor) => this.itemsPage(jobId, cursor, options));
  }

  /** Waiting jobs end `cancelled` at once; a running one gets `cancelRequested` and ends soon. */
  cancel(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.call('POST', `/v1/jobs/${segment(jobId)}/cancel`, options);
  }

  /** A failed or cancelled job queued again from attempt 1. */
  retry(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.call('POST', `/v1/jobs/${segment(jobId)}/retry`, options);
  }

  /** Removes a finished job with its items, events and files. */
  async deleteJob(jobId: string, options: RequestOptions = {}): Promise<void> {
    await this.call('DELETE', `/v1/jobs/${segment(jobId)}`, options);
  }

  // ---- Everything else a user may call ----

  /** Counters for UTC days `from`..`to` (inclusive, default today): the caller's own; an admin's: everyone's. */
  stats(query: StatsQuery = {}, options: RequestOptions = {}): Promise<StatsView> {
    return this.call('GET', '/v1/stats', { query, signal: options.signal });
  }

  async notifications(options: { limit?: number } & RequestOptions = {}): Promise<UserNotification[]> {
    const answer = await this.call<{ notifications: UserNotification[] }>('GET', '/v1/notifications', {
      query: { limit: options.limit },
      signal: options.signal,
    });
    return answer.notifications;
  }

  /** The caller's own data.sync signing secret and how deliveries are signed with it. */
  webhookSecret(options: RequestOptions = {}): Promise<WebhookSecret> {
    return this.call('GET', '/v1/webhooks/secret', options);
  }

  health(options: RequestOptions = {}): Promise<Health> {
    return this.call('GET', '/v1/health', options);
  }

  /**
   * Uploads a file for a job (e.g. resume.extract's `fileKey`): asks the API for a signed
   * URL, then PUTs the bytes there. Content type and length are part of the signature.
   */
  async upload(input: UploadInput): Promise<UploadResult> {
    const bytes = byteLength(input.data);
    const blobType = typeof Blob !== 'undefined' && input.data instanceof Blob ? input.data.type : '';
    const contentType = input.contentType ?? (blobType || 'application/octet-stream');
    const grant = await this.call<{
      uploadUrl: string;
      method: string;
      headers: Record<string, string>;
      fileKey: string;
      expiresAt: string;
    }>('POST', '/v1/uploads', {
      body: { fileName: input.fileName, contentType, bytes },
      signal: input.signal,
    });
    // fetch sets content-length from the body (browsers refuse to be told it).
    const headers = Object.fromEntries(
      Object.entries(grant.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
    );
    let response: Response;
    try {
      response = await this.fetchImpl(grant.uploadUrl, {
        method: grant.method,
        headers,
        body: input.data as RequestInit['body'],
        signal: input.signal,
      });
      await response.arrayBuffer();
    } catch (error) {
      if (input.signal?.aborted) throw input.signal.reason;
      throw new JobQueueNetworkError(`Could not reach the file store: ${(error as Error).message}`, error);
    }
    if (!response.ok) {
      throw new JobQueueApiError(response.status, {
        code: 'UPLOAD_FAILED',
        message: `The file store refused the upload (HTTP ${response.status}).`,
      });
    }
    return { fileKey: grant.fileKey, bytes, expiresAt: grant.expiresAt };
  }

  // ---- Admin ----

  /** Priority queues with pause state, depth and dead letters (admins). */
  async queues(options: RequestOptions = {}): Promise<QueueEntry[]> {
    return (await this.call<{ queues: QueueEntry[] }>('GET', '/v1/queues', options)).queues;
  }

  /** The stack's CloudWatch alarms, those in ALARM first, with state, reason and since when (admins). */
  async alarms(options: RequestOptions = {}): Promise<AlarmEntry[]> {
    return (await this.call<{ alarms: AlarmEntry[] }>('GET', '/v1/admin/alarms', options)).alarms;
  }

  /** Stops taking jobs from a priority's queue; they wait, nothing is lost (admins). */
  pauseQueue(priority: Priority, options: RequestOptions = {}): Promise<QueueEntry> {
    return this.call('POST', `/v1/queues/${segment(priority)}/pause`, options);
  }

  resumeQueue(priority: Priority, options: RequestOptions = {}): Promise<QueueEntry> {
    return this.call('POST', `/v1/queues/${segment(priority)}/resume`, options);
  }

  /** One page of all users' jobs, newest first (admins). */
  adminJobsPage(
    filters: AdminListFilters = {},
    cursor?: string,
    options: RequestOptions = {},
  ): Promise<JobPage> {
    return this.call('GET', '/v1/admin/jobs', { query: { ...filters, cursor }, signal: options.signal });
  }

  /** Every job of all users matching `filters`, newest first (admins). */
  adminJobs(filters: AdminListFilters = {}, options: RequestOptions = {}): AsyncGenerator<Job> {
    return allPages(async (cursor) => {
      const page = await this.adminJobsPage(filters, cursor, options);
      return { items: page.jobs, nextCursor: page.nextCursor };
    });
  }

  /** Retries up to `limit` failed or cancelled jobs of all users at once (admins). */
  retryJobs(request: BulkRetryRequest, options: RequestOptions = {}): Promise<{ retried: number }> {
    return this.call('POST', '/v1/admin/jobs/retry', { body: request, signal: options.signal });
  }

  /** Submits a `system.cleanup` job removing old finished jobs (admins). */
  clean(request: CleanRequest, options: RequestOptions = {}): Promise<Job> {
    return this.call('POST', '/v1/admin/clean', { body: request, signal: options.signal });
  }

  // ---- Live ----

  /**
   * The job's WebSocket frames (snapshot first, then pushes, each with the job's `version`)
   * until its terminal frame; or, for `"all"`, pushes of the caller's jobs submitted while
   * it runs, and notifications. Reconnects with backoff, catches up with a fresh snapshot
   * and never yields what it already yielded. Ends on `break` or when `signal` aborts.
   */
  watch(jobId: string, options?: WatchOptions): AsyncGenerator<JobFrame, void, undefined>;
  watch(target: 'all', options?: WatchOptions): AsyncGenerator<WatchAllFrame, void, undefined>;
  watch(target: string, options: WatchOptions = {}): AsyncGenerator<WatchAllFrame, void, undefined> {
    const { webSocketUrl } = this.options;
    const WebSocket =
      this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!webSocketUrl || !WebSocket) {
      throw new TypeError(
        'watch needs `webSocketUrl` and a WebSocket (global in browsers; pass `WebSocket` from "ws" in Node 20).',
      );
    }
    const connectUrl = async () =>
      `${webSocketUrl}${webSocketUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(await this.token())}`;
    return watchFrames({ connectUrl, WebSocket }, target, {
      ...options,
      reconnect: options.reconnect ?? this.options.reconnect,
    });
  }

  /**
   * The job once it has ended (completed, failed or cancelled), as GET shows it. Watches
   * it over the WebSocket when one is configured, and reads it every `pollIntervalMs`
   * regardless, so neither a lost frame nor a lost socket can hang the wait.
   */
  async waitFor(jobId: string, options: WaitForOptions = {}): Promise<Job> {
    const stop = new AbortController();
    const { signal, timeoutMs, pollIntervalMs = 5000 } = options;
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let last: Job | undefined;
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop.abort(new JobQueueTimeoutError(`Job ${jobId} did not end within ${timeoutMs} ms.`));
          }, timeoutMs);

    const poll = async (): Promise<Job> => {
      for (;;) {
        last = await this.get(jobId, { signal: stop.signal });
        if (isFinished(last)) return last;
        await sleep(pollIntervalMs, stop.signal);
      }
    };
    const live = async (): Promise<Job> => {
      const canWatch =
        this.options.webSocketUrl &&
        (this.options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket);
      if (canWatch) {
        try {
          for await (const frame of this.watch(jobId, { signal: stop.signal })) {
            if (!isTerminalFrame(frame)) continue;
            if (frame.type === 'job.snapshot' && !frame.truncated) return frame.job;
            return this.get(jobId, { signal: stop.signal });
          }
        } catch (error) {
          // A socket that cannot connect leaves the wait to polling; an API's answer does not.
          if (!(error instanceof JobQueueNetworkError)) throw error;
        }
      }
      // Never resolves by itself: polling (or the abort) settles the race.
      return new Promise<Job>((_resolve, reject) => {
        stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true });
      });
    };

    try {
      return await Promise.race([poll(), live()]);
    } catch (error) {
      if (timedOut) throw new JobQueueTimeoutError(`Job ${jobId} did not end within ${timeoutMs} ms.`, last);
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }
}
