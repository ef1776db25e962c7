import { JobQueueApiError, JobQueueNetworkError } from './errors';
import { FrameOrder, isJobFrame, isTerminalFrame, jobIdOf } from './frame-order';
import type { NotificationFrame, WatchAllFrame } from './types';

/**
 * The part of the WebSocket API the client uses: the browser's global `WebSocket` and the
 * `ws` package's (for Node 20, which has no global one) both fit.
 */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // biome-ignore lint/suspicious/noExplicitAny: browsers and `ws` type these events differently; both carry what is read here.
  onopen: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above (`data` is read).
  onmessage: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above (`code`, `reason` are read).
  onclose: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: as above (nothing is read: a close follows).
  onerror: ((event: any) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ReconnectOptions {
  /** Wait before the first reconnect; doubles on each failure (with jitter). @default 250 */
  readonly initialDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  /**
   * Consecutive connections that end before the server answered anything; one more and
   * `watch` throws a JobQueueNetworkError. `Infinity` never gives up. @default 10
   */
  readonly maxAttempts?: number;
}

export interface WatchOptions {
  /** Ends the watch (the iterator returns). */
  readonly signal?: AbortSignal;
  readonly reconnect?: ReconnectOptions;
  /**
   * A `ping` this often; a connection that answered nothing by the next one is dropped and
   * replaced. Also keeps API Gateway's 10-minute idle timeout away. 0: never. @default 240000
   */
  readonly heartbeatMs?: number;
  /**
   * `watch("all")` only: jobs already in flight to follow too, each with a snapshot first
   * (the user-wide subscription pushes only jobs submitted while it lives). A dashboard
   * passes the unfinished jobs it shows.
   */
  readonly jobIds?: readonly string[];
}

/** How a watch opens its connections: a fresh URL (with a fresh token) for each. */
export interface SocketSource {
  readonly connectUrl: () => Promise<string>;
  readonly WebSocket: WebSocketConstructor;
}

type Event =
  | { readonly kind: 'open'; readonly generation: number }
  | { readonly kind: 'close'; readonly generation: number }
  | { readonly kind: 'reconnect'; readonly generation: number }
  | { readonly kind: 'subscribe-jobs'; readonly generation: number }
  | { readonly kind: 'message'; readonly generation: number; readonly data: unknown }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'abort' };

/** Events of every socket, timer and signal of one watch, taken one at a time. */
class EventQueue {
  private readonly events: Event[] = [];
  private waiter: ((event: Event) => void) | undefined;

  push(event: Event): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(event);
    else this.events.push(event);
  }

  next(): Promise<Event> {
    const event = this.events.shift();
    if (event) return Promise.resolve(event);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

/** Exponential backoff with full jitter, so a fleet of clients does not reconnect in step. */
export const backoffDelay = (
  failures: number,
  options: ReconnectOptions = {},
  random = Math.random,
): number => {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

const textOf = (data: unknown): string => {
  if (typeof data === 'string') return data;
  // `ws` may hand over a Buffer; browsers give text for text frames.
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
    return new TextDecoder().decode(data as ArrayBuffer);
  return String(data);
};

const parseFrame = (data: unknown): unknown => {
  try {
    return JSON.parse(textOf(data));
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How long `watch("all")` waits for the server to confirm its user-wide subscription. */
const SUBSCRIBED_WAIT_MS = 2000;

/** Most jobs a reconnecting `watch("all")` subscribes to again one by one to catch up. */
const MAX_CATCH_UP_JOBS = 100;

/**
 * The frames of one job (snapshot first, then pushes, until its terminal frame) or of all
 * the caller's jobs (`"all"`: pushes of jobs submitted while it runs, and notifications),
 * over a connection that is replaced with backoff whenever it drops. Each new connection
 * subscribes again; the snapshot it answers with catches the consumer up, and FrameOrder
 * drops what the consumer already has.
 */
export async function* watchFrames(
  source: SocketSource,
  target: string,
  options: WatchOptions = {},
): AsyncGenerator<WatchAllFrame, void, undefined> {
  const all = target === 'all';
  const queue = new EventQueue();
  const order = new FrameOrder();
  const maxAttempts = options.reconnect?.maxAttempts ?? 10;
  const heartbeatMs = options.heartbeatMs ?? 240_000;
  let generation = 0;
  let socket: WebSocketLike | undefined;
  let failures = 0;
  let answeredSinceOpen = false;
  let answeredSincePing = true;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let subscribeJobsTimer: ReturnType<typeof setTimeout> | undefined;
  /** The connection (generation) whose job subscriptions were sent. */
  let jobsSubscribed = 0;

  const onAbort = () => queue.push({ kind: 'abort' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const heartbeat =
    heartbeatMs > 0 ? setInterval(() => queue.push({ kind: 'heartbeat' }), heartbeatMs) : undefined;

  const dropSocket = () => {
    if (!socket) return;
    const closing = socket;
    socket = undefined;
    // Handlers that ignore, not none: `ws` emits an error when a connecting socket is
    // closed, and an error nobody listens to would end a Node process.
    const ignore = () => undefined;
    closing.onopen = closing.onmessage = closing.onclose = closing.onerror = ignore;
    try {
      closing.close(1000, 'done');
    } catch {
      // Already closed, or never opened: nothing to release.
    }
  };

  const connect = async () => {
    generation += 1;
    const current = generation;
    answeredSinceOpen = false;
    answeredSincePing = true;
    try {
      socket = new source.WebSocket(await source.connectUrl());
    } catch (error) {
      if (error instanceof JobQueueApiError) throw error;
      // A malformed URL or a socket that cannot even start: counts as a failed connection.
      queue.push({ kind: 'close', generation: current });
      return;
    }
    socket.onopen = () => queue.push({ kind: 'open', generation: current });
    socket.onmessage = (event: { data: unknown }) =>
      queue.push({ kind: 'message', generation: current, data: event.data });
    socket.onclose = () => queue.push({ kind: 'close', generation: current });
    socket.onerror = () => {
      // A close event follows every error; the reconnect starts there.
    };
  };

  const subscribe = () => {
    if (!socket) return;
    if (!all) return socket.send(JSON.stringify({ action: 'subscribe', jobId: target }));
    // The job subscriptions follow once the server confirms this one (subscribeJobs), or
    // after a while regardless: the contract promises no confirmation.
    socket.send(JSON.stringify({ action: 'subscribe' }));
    const current = generation;
    subscribeJobsTimer = setTimeout(
      () => queue.push({ kind: 'subscribe-jobs', generation: current }),
      SUBSCRIBED_WAIT_MS,
    );
  };

  /**
   * `"all"`: the user-wide subscription pushes only jobs submitted while it lives; the jobs
   * asked for, and the unfinished ones seen before a drop, catch up with a snapshot each.
   * Sent after the server confirmed the user-wide one, so once a consumer has a snapshot,
   * every job it submits from then on reaches it.
   */
  const subscribeJobs = () => {
    if (!socket || jobsSubscribed === generation) return;
    jobsSubscribed = generation;
    const seen = order.seen();
    const asked = (options.jobIds ?? []).filter((jobId) => !seen.has(jobId));
    for (const jobId of [...asked, ...order.unfinished()].slice(-MAX_CATCH_UP_JOBS)) {
      socket.send(JSON.stringify({ action: 'subscribe', jobId }));
    }
  };

  const scheduleReconnect = () => {
    dropSocket();
    failures += 1;
    if (failures > maxAttempts) {
      throw new JobQueueNetworkError(
        `The WebSocket connection failed ${failures} times in a row; giving up on watching ${target}.`,
      );
    }
    const current = generation;
    reconnectTimer = setTimeout(
      () => queue.push({ kind: 'reconnect', generation: current }),
      backoffDelay(failures, options.reconnect),
    );
  };

  try {
    if (options.signal?.aborted) return;
    await connect();
    for (;;) {
      const event = await queue.next();
      if (event.kind === 'abort') return;
      if (event.kind === 'heartbeat') {
        if (!socket) continue;
        if (!answeredSincePing) {
          // Silent since the last ping: the connection is gone without a close (a lost network).
          scheduleReconnect();
          continue;
        }
        answeredSincePing = false;
        socket.send(JSON.stringify({ action: 'ping' }));
        continue;
      }
      if (event.generation !== generation) continue;
      if (event.kind === 'open') subscribe();
      else if (event.kind === 'close') scheduleReconnect();
      else if (event.kind === 'reconnect') await connect();
      else if (event.kind === 'subscribe-jobs') subscribeJobs();
      else {
        answeredSincePing = true;
        if (!answeredSinceOpen) {
          answeredSinceOpen = true;
          failures = 0;
        }
        const frame = parseFrame(event.data);
        if (!isRecord(frame)) continue;
        if (frame.type === 'error') {
          // Only a subscription we asked for can be refused; for one job that ends the watch.
          if (!all || frame.code !== 'NOT_FOUND') {
            const status = frame.code === 'NOT_FOUND' ? 404 : 400;
            throw new JobQueueApiError(status, {
              code: String(frame.code),
              message: String(frame.message ?? 'The subscription was refused.'),
            });
          }
          continue;
        }
        if (all && frame.type === 'subscribed' && frame.scope === 'user') {
          subscribeJobs();
          continue;
        }
        if (all && frame.type === 'user.notification') {
          yield frame as unknown as NotificationFrame;
          continue;
        }
        if (!isJobFrame(frame)) continue;
        if (!all && jobIdOf(frame) !== target) continue;
        if (!order.accept(frame)) continue;
        yield frame;
        if (!all && isTerminalFrame(frame)) return;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (heartbeat) clearInterval(heartbeat);
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (subscribeJobsTimer) clearTimeout(subscribeJobsTimer);
    dropSocket();
  }
}
