// TEMPORARY: stands in for `jobqueue/client` (issue #11 part 2, written on another branch)
// with the same constructor and method names. Delete this file once the client is merged.
export interface Job {
  jobId: string;
  type: string;
  status: string;
  priority: string;
  priorityValue?: number;
  payload?: unknown;
  result?: unknown;
  error?: { code: string; message: string; retryable?: boolean };
  progress?: { percent?: number; stage?: string; message?: string };
  attempts?: number;
  maxAttempts?: number;
  items?: { total: number; processed: number; failed: number };
  createdAt: string;
  runAt?: string;
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  estimatedCompletionAt?: string;
  cancelRequested?: boolean;
  userId?: string;
  version?: number;
}
export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}
export interface JobEvent {
  at: string;
  from: string | null;
  to: string;
  attempt: number;
  error?: { code: string; message: string };
}
export interface JobItem {
  index: number;
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
}
export interface Queue {
  priority: string;
  paused: boolean;
  waiting: number;
  inFlight: number;
  delayed: number;
  dlq: number;
}
export interface TypeStats {
  submitted?: number;
  completed: number;
  failed: number;
  cancelled?: number;
  avgDurationMs: number | null;
}
export interface Stats {
  window: { from: string; to: string };
  totals: { submitted: number; completed: number; failed: number; cancelled: number };
  byStatus: Record<string, number>;
  byType: Record<string, TypeStats>;
  byPriority: Record<string, Record<string, number>>;
}
export type WatchEvent = {
  type: string;
  jobId?: string;
  status?: string;
  version?: number;
  job?: Job;
  progress?: Job['progress'];
  items?: Job['items'];
  result?: unknown;
  error?: Job['error'];
  [field: string]: unknown;
};

export class JobQueueError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'JobQueueError';
  }
}

export interface JobQueueClientOptions {
  url: string;
  webSocketUrl: string;
  token: string;
}

type Query = Record<string, string | number | undefined>;

export class JobQueueClient {
  constructor(private readonly options: JobQueueClientOptions) {}

  private async call<T>(method: string, route: string, query: Query = {}, body?: unknown): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const url = `${this.options.url.replace(/\/$/, '')}${route}${search.size ? `?${search}` : ''}`;
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.options.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = parsed?.error ?? { code: 'HTTP_ERROR', message: parsed?.message ?? response.statusText };
      throw new JobQueueError(response.status, error.code, error.message);
    }
    return parsed as T;
  }

  submit(body: Record<string, unknown>): Promise<Job> {
    return this.call('POST', '/v1/jobs', {}, body);
  }
  get(jobId: string): Promise<Job> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }
  listPage(
    query: { status?: string; type?: string; limit?: number; cursor?: string } = {},
  ): Promise<JobPage> {
    return this.call('GET', '/v1/jobs', query);
  }
  adminJobs(
    query: { status?: string; type?: string; userId?: string; limit?: number; cursor?: string } = {},
  ): Promise<JobPage> {
    return this.call('GET', '/v1/admin/jobs', query);
  }
  async events(jobId: string): Promise<JobEvent[]> {
    return (await this.call<{ events: JobEvent[] }>('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events`))
      .events;
  }
  items(
    jobId: string,
    query: { cursor?: string } = {},
  ): Promise<{ items: JobItem[]; nextCursor: string | null }> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}/items`, query);
  }
  cancel(jobId: string): Promise<Job> {
    return this.call('POST', `/v1/jobs/${encodeURIComponent(jobId)}/cancel`);
  }
  retry(jobId: string): Promise<Job> {
    return this.call('POST', `/v1/jobs/${encodeURIComponent(jobId)}/retry`);
  }
  stats(query: { from?: string; to?: string } = {}): Promise<Stats> {
    return this.call('GET', '/v1/stats', query);
  }
  async queues(): Promise<Queue[]> {
    return (await this.call<{ queues: Queue[] }>('GET', '/v1/queues')).queues;
  }
  pauseQueue(priority: string): Promise<Queue> {
    return this.call('POST', `/v1/queues/${priority}/pause`);
  }
  resumeQueue(priority: string): Promise<Queue> {
    return this.call('POST', `/v1/queues/${priority}/resume`);
  }
  retryJobs(body: {
    status: string;
    type?: string;
    priority?: string;
    limit?: number;
  }): Promise<{ retried: number }> {
    return this.call('POST', '/v1/admin/jobs/retry', {}, body);
  }
  readonly dlq = {
    peek: async (priority: string, options: { limit?: number } = {}) =>
      (
        await this.call<{ messages: { jobId: string | null; receiveCount: number; sentAt: string }[] }>(
          'GET',
          `/v1/queues/${priority}/dlq`,
          { limit: options.limit },
        )
      ).messages,
    redrive: (priority: string) => this.call<{ moved: number }>('POST', `/v1/queues/${priority}/dlq/redrive`),
    purge: (priority: string) => this.call<{ purged: number }>('POST', `/v1/queues/${priority}/dlq/purge`),
  };

  /** Frames of one job (or all of the caller's), reconnecting with a fresh subscription. */
  async *watch(target: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<WatchEvent> {
    const queue: WatchEvent[] = [];
    let wake: (() => void) | undefined;
    let socket: WebSocket | undefined;
    let delay = 500;
    const connect = () => {
      if (options.signal?.aborted) return;
      const url = `${this.options.webSocketUrl}?token=${encodeURIComponent(this.options.token)}`;
      socket = new WebSocket(url);
      socket.onopen = () => {
        delay = 500;
        socket?.send(
          JSON.stringify(target === 'all' ? { action: 'subscribe' } : { action: 'subscribe', jobId: target }),
        );
      };
      socket.onmessage = (message) => {
        queue.push(JSON.parse(String(message.data)));
        wake?.();
      };
      socket.onclose = () => {
        if (options.signal?.aborted) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    options.signal?.addEventListener('abort', () => {
      socket?.close();
      wake?.();
    });
    connect();
    while (!options.signal?.aborted) {
      const next = queue.shift();
      if (next) yield next;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}
