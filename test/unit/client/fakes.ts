import type { WebSocketLike } from '../../../client/watch';

export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

type Reply = { status?: number; body?: unknown; headers?: Record<string, string> } | Error;
type Responder = (request: RecordedRequest) => Reply | Promise<Reply>;

/**
 * A `fetch` that answers from `routes` (`"GET /v1/jobs/ID"`, matched on method and path)
 * and records every request. Unmatched requests answer 404 in the contract's shape.
 */
export const fakeFetch = (routes: Record<string, Responder | Reply>) => {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const raw = init.body;
    let body: unknown = raw;
    if (typeof raw === 'string' && headers['content-type'] === 'application/json') body = JSON.parse(raw);
    const request = { method: init.method ?? 'GET', url, headers, body };
    requests.push(request);
    if (init.signal?.aborted) throw init.signal.reason;
    const route = routes[`${request.method} ${url.pathname}`];
    const reply =
      route === undefined
        ? { status: 404, body: { error: { code: 'NOT_FOUND', message: 'No route.' } } }
        : typeof route === 'function'
          ? await route(request)
          : route;
    if (reply instanceof Error) throw reply;
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    return new Response(text || null, { status: reply.status ?? 200, headers: reply.headers });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
};

/** A WebSocket whose server side the test plays: open it, send it frames, drop it. */
export class FakeSocket implements WebSocketLike {
  static readonly instances: FakeSocket[] = [];
  readonly sent: unknown[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances.length = 0;
  }

  static latest(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  // ---- the server's side ----
  open(): void {
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** The connection breaks (the network, a server restart, API Gateway's 2-hour limit). */
  drop(): void {
    this.closed = true;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '' });
  }
}

/** Resolves once `check` holds, polling the event loop (the watcher runs on timers and promises). */
export const until = async (check: () => boolean, timeoutMs = 2000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

export const JOB_ID = '01JAAAAAAAAAAAAAAAAAAAAAAA';

export const job = (fields: Record<string, unknown> = {}) => ({
  jobId: JOB_ID,
  type: 'system.simulate',
  status: 'queued',
  priority: 'normal',
  priorityValue: 5,
  payload: {},
  attempts: 0,
  maxAttempts: 3,
  createdAt: '2026-11-30T00:00:00.000Z',
  version: 1,
  ...fields,
});

export const push = (type: string, version: number, fields: Record<string, unknown> = {}) => ({
  type,
  jobId: JOB_ID,
  status: type === 'job.progress' || type === 'job.status' ? 'processing' : type.slice(4),
  at: '2026-11-30T00:00:01.000Z',
  version,
  ...fields,
});
