import {
  JobQueueApiError,
  JobQueueClient,
  JobQueueNetworkError,
  JobQueueTimeoutError,
} from '../../../client';
import { FrameOrder } from '../../../client/frame-order';
import type { JobFrame, WatchAllFrame } from '../../../client/types';
import { backoffDelay } from '../../../client/watch';
import { FakeSocket, fakeFetch, JOB_ID, job, push, until } from './fakes';

const FAST = { initialDelayMs: 1, maxDelayMs: 5 };

const clientWith = (routes: Parameters<typeof fakeFetch>[0] = {}, token: () => string = () => 'tok') => {
  const fake = fakeFetch(routes);
  const client = new JobQueueClient({
    url: 'https://api.example.test',
    webSocketUrl: 'wss://ws.example.test/live',
    token,
    fetch: fake.fetch,
    WebSocket: FakeSocket,
    reconnect: FAST,
  });
  return { client, requests: fake.requests };
};

/** Collects what the iterator yields, in the background. */
const collect = <T>(iterator: AsyncGenerator<T, void, undefined>) => {
  const frames: T[] = [];
  const done = (async () => {
    for await (const frame of iterator) frames.push(frame);
  })();
  return { frames, done };
};

const snapshot = (fields: Record<string, unknown>) => ({ type: 'job.snapshot', job: job(fields) });
const describeFrame = (frame: WatchAllFrame) =>
  frame.type === 'job.snapshot'
    ? `snapshot:${frame.job.status}@${frame.job.version}`
    : frame.type === 'user.notification'
      ? `notification:${frame.notification.title}`
      : `${frame.type}@${frame.version}`;

beforeEach(() => FakeSocket.reset());

describe('watch(jobId)', () => {
  test('subscribes with a fresh token in the URL, yields the snapshot then pushes, and ends at the terminal push', async () => {
    const { client } = clientWith({}, () => 'fresh token');
    const watch = collect(client.watch(JOB_ID));
    await until(() => FakeSocket.instances.length === 1);
    const socket = FakeSocket.latest();
    expect(socket.url).toBe('wss://ws.example.test/live?token=fresh%20token');
    socket.open();
    await until(() => socket.sent.length > 0);
    expect(socket.sent).toEqual([{ action: 'subscribe', jobId: JOB_ID }]);
    socket.receive(snapshot({ status: 'queued', version: 1 }));
    socket.receive(push('job.status', 2));
    socket.receive(push('job.progress', 3, { progress: { percent: 50, stage: 'parsing' } }));
    socket.receive(push('job.completed', 4, { result: { ok: true } }));
    await watch.done;
    expect(watch.frames.map(describeFrame)).toEqual([
      'snapshot:queued@1',
      'job.status@2',
      'job.progress@3',
      'job.completed@4',
    ]);
    expect(socket.closed).toBe(true);
  });

  test('a dropped socket is replaced and re-subscribed; the catch-up snapshot and old pushes are not yielded twice', async () => {
    const { client } = clientWith();
    const watch = collect(client.watch(JOB_ID));
    await until(() => FakeSocket.instances.length === 1);
    const first = FakeSocket.latest();
    first.open();
    first.receive(snapshot({ status: 'processing', version: 2 }));
    first.receive(push('job.progress', 3, { progress: { percent: 10 } }));
    first.drop();

    await until(() => FakeSocket.instances.length === 2);
    const second = FakeSocket.latest();
    second.open();
    await until(() => second.sent.length > 0);
    expect(second.sent).toEqual([{ action: 'subscribe', jobId: JOB_ID }]);
    // The server's snapshot shows what the consumer already has, then a lagging push of it.
    second.receive(snapshot({ status: 'processing', version: 3 }));
    second.receive(push('job.progress', 3, { progress: { percent: 10 } }));
    second.receive(push('job.status', 2));
    second.receive(push('job.progress', 4, { progress: { percent: 60 } }));
    second.drop();

    await until(() => FakeSocket.instances.length === 3);
    const third = FakeSocket.latest();
    third.open();
    // Missed while away: the job finished. Its snapshot is the catch-up and the last word.
    third.receive(snapshot({ status: 'completed', version: 6, result: { ok: true } }));
    await watch.done;
    expect(watch.frames.map(describeFrame)).toEqual([
      'snapshot:processing@2',
      'job.progress@3',
      'job.progress@4',
      'snapshot:completed@6',
    ]);
  });

  test('an unknown (or someone else’s) job ends the watch with a NOT_FOUND error', async () => {
    const { client } = clientWith();
    const watch = collect(client.watch(JOB_ID));
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.latest().open();
    FakeSocket.latest().receive({ type: 'error', code: 'NOT_FOUND', message: 'No such job.' });
    await expect(watch.done).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: 'No such job.',
    });
    await expect(watch.done).rejects.toBeInstanceOf(JobQueueApiError);
  });

  test('an abort ends the iterator quietly and closes the socket', async () => {
    const { client } = clientWith();
    const controller = new AbortController();
    const watch = collect(client.watch(JOB_ID, { signal: controller.signal }));
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.latest().open();
    FakeSocket.latest().receive(snapshot({ status: 'processing', version: 2 }));
    await until(() => watch.frames.length === 1);
    controller.abort();
    await watch.done;
    expect(FakeSocket.latest().closed).toBe(true);
  });

  test('breaking out of the loop closes the socket', async () => {
    const { client } = clientWith();
    const watch = client.watch(JOB_ID);
    const first = watch.next();
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.latest().open();
    FakeSocket.latest().receive(snapshot({ status: 'processing', version: 2 }));
    expect((await first).value).toMatchObject({ type: 'job.snapshot' });
    await watch.return();
    expect(FakeSocket.latest().closed).toBe(true);
  });

  test('gives up with a network error after maxAttempts connections in a row fail', async () => {
    const { client } = clientWith();
    const watch = collect(client.watch(JOB_ID, { reconnect: { ...FAST, maxAttempts: 3 } }));
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await until(() => FakeSocket.instances.length === attempt);
      FakeSocket.latest().drop();
    }
    await expect(watch.done).rejects.toBeInstanceOf(JobQueueNetworkError);
    expect(FakeSocket.instances).toHaveLength(4);
  });

  test('a connection silent through a heartbeat is replaced', async () => {
    const { client } = clientWith();
    const watch = collect(client.watch(JOB_ID, { heartbeatMs: 20 }));
    await until(() => FakeSocket.instances.length === 1);
    const silent = FakeSocket.latest();
    silent.open();
    silent.receive(snapshot({ status: 'processing', version: 2 }));
    await until(() => silent.sent.some((frame) => (frame as { action: string }).action === 'ping'));
    // No pong: the next beat drops it and a new connection subscribes again.
    await until(() => FakeSocket.instances.length === 2);
    expect(silent.closed).toBe(true);
    FakeSocket.latest().open();
    FakeSocket.latest().receive(snapshot({ status: 'cancelled', version: 3 }));
    await watch.done;
    expect(watch.frames.map(describeFrame)).toEqual(['snapshot:processing@2', 'snapshot:cancelled@3']);
  });
});

describe('watch("all")', () => {
  test('subscribes user-wide, yields notifications, and after a drop re-subscribes to its unfinished jobs', async () => {
    const { client } = clientWith();
    const controller = new AbortController();
    const watch = collect(client.watch('all', { signal: controller.signal }));
    await until(() => FakeSocket.instances.length === 1);
    const first = FakeSocket.latest();
    first.open();
    await until(() => first.sent.length > 0);
    expect(first.sent).toEqual([{ action: 'subscribe' }]);
    first.receive({ type: 'subscribed', scope: 'user' });
    first.receive({ ...push('job.status', 1, { status: 'queued' }), jobId: 'JOB-A' });
    first.receive({ ...push('job.completed', 3), jobId: 'JOB-B' });
    first.receive({
      type: 'user.notification',
      notification: { id: 'n1', at: 'x', level: 'info', title: 'Hello', message: 'hi' },
    });
    first.drop();
    await until(() => FakeSocket.instances.length === 2);
    FakeSocket.latest().open();
    await until(() => FakeSocket.latest().sent.length === 1);
    FakeSocket.latest().receive({ type: 'subscribed', scope: 'user' });
    await until(() => FakeSocket.latest().sent.length === 2);
    expect(FakeSocket.latest().sent).toEqual([
      { action: 'subscribe' },
      { action: 'subscribe', jobId: 'JOB-A' },
    ]);
    await until(() => watch.frames.length === 3);
    expect(watch.frames.map(describeFrame)).toEqual([
      'job.status@1',
      'job.completed@3',
      'notification:Hello',
    ]);
    // "all" does not end at one job's end: only the consumer ends it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(FakeSocket.latest().closed).toBe(false);
    controller.abort();
    await watch.done;
    expect(FakeSocket.latest().closed).toBe(true);
  });
});

test('watch("all") with jobIds subscribes to those jobs too, and after a drop only to the unfinished ones', async () => {
  const { client } = clientWith();
  const controller = new AbortController();
  const watch = collect(client.watch('all', { signal: controller.signal, jobIds: ['JOB-A', 'JOB-B'] }));
  await until(() => FakeSocket.instances.length === 1);
  const first = FakeSocket.latest();
  first.open();
  await until(() => first.sent.length === 1);
  first.receive({ type: 'subscribed', scope: 'user' });
  await until(() => first.sent.length === 3);
  expect(first.sent).toEqual([
    { action: 'subscribe' },
    { action: 'subscribe', jobId: 'JOB-A' },
    { action: 'subscribe', jobId: 'JOB-B' },
  ]);
  first.receive({ type: 'job.snapshot', job: job({ jobId: 'JOB-A', status: 'processing', version: 4 }) });
  first.receive({ type: 'job.snapshot', job: job({ jobId: 'JOB-B', status: 'completed', version: 9 }) });
  await until(() => watch.frames.length === 2);
  first.drop();
  await until(() => FakeSocket.instances.length === 2);
  const second = FakeSocket.latest();
  second.open();
  await until(() => second.sent.length === 1);
  second.receive({ type: 'subscribed', scope: 'user' });
  await until(() => second.sent.length === 2);
  expect(second.sent).toEqual([{ action: 'subscribe' }, { action: 'subscribe', jobId: 'JOB-A' }]);
  controller.abort();
  await watch.done;
});

test('watch("all") subscribes to its jobs even if the server never confirms the user-wide subscription', async () => {
  const { client } = clientWith();
  const controller = new AbortController();
  const watch = collect(client.watch('all', { signal: controller.signal, jobIds: ['JOB-A'] }));
  await until(() => FakeSocket.instances.length === 1);
  FakeSocket.latest().open();
  await until(() => FakeSocket.latest().sent.length === 2, 3000);
  expect(FakeSocket.latest().sent).toEqual([
    { action: 'subscribe' },
    { action: 'subscribe', jobId: 'JOB-A' },
  ]);
  controller.abort();
  await watch.done;
});

describe('FrameOrder', () => {
  const frame = (type: string, version: number, fields: Record<string, unknown> = {}) =>
    push(type, version, fields) as unknown as JobFrame;

  test('pushes of one change share a version and all pass; an exact repeat does not', () => {
    const order = new FrameOrder();
    expect(order.accept(frame('job.status', 5, { status: 'processing' }))).toBe(true);
    expect(order.accept(frame('job.progress', 5, { progress: { percent: 1 } }))).toBe(true);
    expect(order.accept(frame('job.progress', 5, { progress: { percent: 1 } }))).toBe(false);
  });

  test('a snapshot covers the pushes of its version, and nothing older passes after it', () => {
    const order = new FrameOrder();
    expect(order.accept({ type: 'job.snapshot', job: job({ version: 7 }) } as unknown as JobFrame)).toBe(
      true,
    );
    expect(order.accept(frame('job.progress', 7))).toBe(false);
    expect(order.accept(frame('job.status', 6))).toBe(false);
    expect(order.accept(frame('job.progress', 8))).toBe(true);
  });

  test('jobs are tracked apart, and finished ones leave the catch-up list', () => {
    const order = new FrameOrder();
    order.accept({ ...frame('job.status', 9), jobId: 'A' } as JobFrame);
    order.accept({ ...frame('job.status', 1), jobId: 'B' } as JobFrame);
    order.accept({ ...frame('job.failed', 2), jobId: 'B' } as JobFrame);
    expect(order.unfinished()).toEqual(['A']);
  });
});

describe('backoffDelay', () => {
  test('doubles per failure up to the cap, with jitter in the upper half', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((failures) => backoffDelay(failures, options, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, options, () => 0)).toBe(200);
  });
});

describe('waitFor', () => {
  test('returns the job as GET shows it once the watch sees its terminal push', async () => {
    const { client } = clientWith({
      [`GET /v1/jobs/${JOB_ID}`]: (() => {
        let reads = 0;
        return () => {
          reads += 1;
          return { body: job(reads === 1 ? { status: 'processing' } : { status: 'completed', result: 42 }) };
        };
      })(),
    });
    const waiting = client.waitFor(JOB_ID, { pollIntervalMs: 60_000 });
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.latest().open();
    FakeSocket.latest().receive(snapshot({ status: 'processing', version: 2 }));
    FakeSocket.latest().receive(push('job.completed', 3));
    await expect(waiting).resolves.toMatchObject({ status: 'completed', result: 42 });
    expect(FakeSocket.latest().closed).toBe(true);
  });

  test('a lost terminal frame cannot hang it: polling finds the job finished', async () => {
    let finished = false;
    const { client } = clientWith({
      [`GET /v1/jobs/${JOB_ID}`]: () => ({ body: job({ status: finished ? 'failed' : 'processing' }) }),
    });
    const waiting = client.waitFor(JOB_ID, { pollIntervalMs: 10 });
    await until(() => FakeSocket.instances.length === 1);
    FakeSocket.latest().open();
    FakeSocket.latest().receive(snapshot({ status: 'processing', version: 2 }));
    finished = true; // ...and its job.failed push never arrives.
    await expect(waiting).resolves.toMatchObject({ status: 'failed' });
  });

  test('without a WebSocket it polls', async () => {
    const fake = fakeFetch({ [`GET /v1/jobs/${JOB_ID}`]: { body: job({ status: 'cancelled' }) } });
    const client = new JobQueueClient({ url: 'https://api.example.test', token: 't', fetch: fake.fetch });
    await expect(client.waitFor(JOB_ID)).resolves.toMatchObject({ status: 'cancelled' });
  });

  test('times out with the last state it saw', async () => {
    const { client } = clientWith({ [`GET /v1/jobs/${JOB_ID}`]: { body: job({ status: 'delayed' }) } });
    const error = await client
      .waitFor(JOB_ID, { timeoutMs: 50, pollIntervalMs: 10 })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(JobQueueTimeoutError);
    expect(error).toMatchObject({ code: 'WAIT_TIMEOUT', job: { status: 'delayed' } });
    expect(FakeSocket.latest().closed).toBe(true);
  });

  test('an unknown job rejects with NOT_FOUND', async () => {
    const { client } = clientWith({});
    await expect(client.waitFor(JOB_ID)).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
