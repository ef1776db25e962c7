import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import WebSocket from 'ws';
import type { StackFile } from '../../../local/cloud';
import { TEST_LOCAL_DIR, type TestUser } from './environment';

const root = path.resolve(__dirname, '../../..');
const localDirectory = path.join(root, TEST_LOCAL_DIR);

export const stack = (): StackFile =>
  JSON.parse(readFileSync(path.join(localDirectory, 'stack.json'), 'utf8'));
/** The local cloud's SQS (fauxqs): credentials are not checked; queue URLs are not endpoints there. */
export const localSqs = (): SQSClient =>
  new SQSClient({
    region: stack().region,
    endpoint: stack().endpoints.sqs,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
export const token = (user: TestUser): string =>
  (JSON.parse(readFileSync(path.join(localDirectory, 'tokens.json'), 'utf8')) as Record<string, string>)[
    user
  ] ?? '';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** One HTTP call to the local API, as a client would make it. */
export const api = async (
  method: string,
  route: string,
  options: {
    user?: TestUser | null;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.user !== null) headers.authorization = `Bearer ${token(options.user ?? 'alice')}`;
  if (options.body !== undefined || options.rawBody !== undefined)
    headers['content-type'] = 'application/json';
  const response = await fetch(`${stack().httpUrl}${route}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body };
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds, or fails with the last value after `timeoutMs`. */
export const eventually = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
  intervalMs = 200,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out; last value: ${JSON.stringify(last)}`);
    await sleep(intervalMs);
    last = await read();
  }
  return last;
};

export const submit = async (
  user: TestUser,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) => {
  const reply = await api('POST', '/v1/jobs', { user, body, headers });
  if (reply.status !== 202 && reply.status !== 200) {
    throw new Error(`Submit failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return reply.body as { jobId: string; status: string; [field: string]: any };
};

export const getJob = async (user: TestUser, jobId: string) =>
  (await api('GET', `/v1/jobs/${jobId}`, { user })).body;

export const untilStatus = (user: TestUser, jobId: string, statuses: string[], timeoutMs = 45_000) =>
  eventually(
    () => getJob(user, jobId),
    (job) => statuses.includes(job?.status),
    timeoutMs,
  );

/** A WebSocket client that records every frame it receives. */
export class SocketClient {
  readonly frames: any[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString())));
  }

  static connect(user: TestUser | string | null): Promise<SocketClient> {
    const query = user === null ? '' : `?token=${encodeURIComponent(token(user as TestUser) || user)}`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${stack().wsUrl}${query}`);
      socket.once('open', () => resolve(new SocketClient(socket)));
      socket.once('unexpected-response', (_request, response) =>
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), {
            statusCode: response.statusCode,
          }),
        ),
      );
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (from `from` on) matching `match`. */
  async next(match: (frame: any) => boolean, timeoutMs = 45_000, from = 0): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No matching frame; got ${JSON.stringify(this.frames)}`);
      await sleep(50);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
