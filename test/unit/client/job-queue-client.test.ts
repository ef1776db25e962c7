import {
  isJobQueueError,
  JobQueueApiError,
  JobQueueClient,
  JobQueueError,
  JobQueueNetworkError,
} from '../../../client';
import { fakeFetch, JOB_ID, job } from './fakes';

const URL_BASE = 'https://api.example.test/';

const clientWith = (routes: Parameters<typeof fakeFetch>[0], token: string | (() => string) = 'tok') => {
  const fake = fakeFetch(routes);
  return { client: new JobQueueClient({ url: URL_BASE, token, fetch: fake.fetch }), requests: fake.requests };
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('JobQueueClient errors', () => {
  test("an API error carries the HTTP status and the contract's code, message and details", async () => {
    const { client } = clientWith({
      'POST /v1/jobs': {
        status: 400,
        body: {
          error: {
            code: 'VALIDATION_ERROR',
            message: 'The payload is invalid.',
            details: { fields: [{ field: 'payload.steps', message: 'too big' }] },
          },
        },
      },
    });
    const error = await rejection(client.submit('system.simulate', { steps: 1e9 }));
    expect(error).toBeInstanceOf(JobQueueApiError);
    expect(error).toBeInstanceOf(JobQueueError);
    expect(error).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'The payload is invalid.',
      details: { fields: [{ field: 'payload.steps', message: 'too big' }] },
    });
    expect(isJobQueueError(error, 'VALIDATION_ERROR')).toBe(true);
    expect(isJobQueueError(error, 'NOT_FOUND')).toBe(false);
  });

  test('Retry-After of a 429 becomes retryAfterSeconds, in seconds or as an HTTP date', async () => {
    const limited = { error: { code: 'RATE_LIMITED', message: 'Too many jobs submitted.' } };
    const seconds = clientWith({
      'POST /v1/jobs': { status: 429, body: limited, headers: { 'retry-after': '17' } },
    });
    expect(await rejection(seconds.client.submit('system.simulate', {}))).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      retryAfterSeconds: 17,
    });
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();
    const date = clientWith({
      'POST /v1/jobs': { status: 429, body: limited, headers: { 'retry-after': inOneMinute } },
    });
    const error = (await rejection(date.client.submit('system.simulate', {}))) as JobQueueApiError;
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  test("the gateway's own 401 body still gives code UNAUTHORIZED", async () => {
    const { client } = clientWith({
      [`GET /v1/jobs/${JOB_ID}`]: { status: 401, body: { message: 'Unauthorized' } },
    });
    expect(await rejection(client.get(JOB_ID))).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'Unauthorized',
    });
  });

  test('an unreachable API is a network error, not an API error', async () => {
    const { client } = clientWith({ [`GET /v1/jobs/${JOB_ID}`]: new TypeError('fetch failed') });
    const error = await rejection(client.get(JOB_ID));
    expect(error).toBeInstanceOf(JobQueueNetworkError);
    expect(error).not.toBeInstanceOf(JobQueueApiError);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR' });
    expect((error as Error).message).toContain('fetch failed');
  });

  test('an aborted call rejects with the signal’s reason', async () => {
    const { client } = clientWith({ [`GET /v1/jobs/${JOB_ID}`]: { body: job() } });
    const controller = new AbortController();
    const reason = new Error('user left');
    controller.abort(reason);
    expect(await rejection(client.get(JOB_ID, { signal: controller.signal }))).toBe(reason);
  });
});

describe('JobQueueClient requests', () => {
  test('submit sends the contract body and the Idempotency-Key as a header, with the bearer token', async () => {
    const { client, requests } = clientWith({
      'POST /v1/jobs': { status: 202, body: job({ status: 'delayed' }) },
    });
    const submitted = await client.submit(
      'system.simulate',
      { durationMs: 5 },
      { priority: 'high', delaySeconds: 30, idempotencyKey: 'order-7', correlationId: 'c-1' },
    );
    expect(submitted.status).toBe('delayed');
    const [request] = requests;
    expect(request?.url.href).toBe('https://api.example.test/v1/jobs');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer tok',
      'idempotency-key': 'order-7',
      'content-type': 'application/json',
    });
    expect(request?.body).toEqual({
      type: 'system.simulate',
      payload: { durationMs: 5 },
      priority: 'high',
      delaySeconds: 30,
      correlationId: 'c-1',
    });
  });

  test('a token function is asked before every request, so a refreshed token is used', async () => {
    let issued = 0;
    const { client, requests } = clientWith({ [`GET /v1/jobs/${JOB_ID}`]: { body: job() } }, () => {
      issued += 1;
      return `token-${issued}`;
    });
    await client.get(JOB_ID);
    await client.get(JOB_ID);
    expect(requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  test('list walks every page with the cursors the API returns, filters on each', async () => {
    const pages: Record<string, { jobs: unknown[]; nextCursor: string | null }> = {
      '': { jobs: [job({ jobId: 'A' }), job({ jobId: 'B' })], nextCursor: 'c1' },
      c1: { jobs: [job({ jobId: 'C' })], nextCursor: 'c2' },
      c2: { jobs: [], nextCursor: null },
    };
    const { client, requests } = clientWith({
      'GET /v1/jobs': (request) => ({ body: pages[request.url.searchParams.get('cursor') ?? ''] }),
    });
    const ids: string[] = [];
    for await (const listed of client.list({ status: 'failed', type: 'pdf.render', limit: 2 }))
      ids.push(listed.jobId);
    expect(ids).toEqual(['A', 'B', 'C']);
    expect(requests.map((request) => request.url.search)).toEqual([
      '?status=failed&type=pdf.render&limit=2',
      '?status=failed&type=pdf.render&limit=2&cursor=c1',
      '?status=failed&type=pdf.render&limit=2&cursor=c2',
    ]);
  });

  test('list reads the next page only when the consumer gets there', async () => {
    const { client, requests } = clientWith({
      'GET /v1/jobs': { body: { jobs: [job({ jobId: 'A' })], nextCursor: 'more' } },
    });
    for await (const listed of client.list()) {
      expect(listed.jobId).toBe('A');
      break;
    }
    expect(requests).toHaveLength(1);
  });

  test('items yields every item of a bulk job across pages', async () => {
    const { client } = clientWith({
      [`GET /v1/jobs/${JOB_ID}/items`]: (request) =>
        request.url.searchParams.get('cursor') === 'p2'
          ? { body: { items: [{ index: 2, status: 'failed' }], nextCursor: null } }
          : {
              body: {
                items: [
                  { index: 0, status: 'completed', result: { score: 80 } },
                  { index: 1, status: 'pending' },
                ],
                nextCursor: 'p2',
              },
            },
    });
    const indexes: number[] = [];
    for await (const item of client.items(JOB_ID)) indexes.push(item.index);
    expect(indexes).toEqual([0, 1, 2]);
  });

  test('submitBatch answers per entry in order; a replayed failed job (it has an error field) is still a job', async () => {
    const { client, requests } = clientWith({
      'POST /v1/jobs/batch': {
        status: 202,
        body: {
          jobs: [
            job({ jobId: 'A' }),
            { error: { code: 'VALIDATION_ERROR', message: 'Unknown job type "nope".' } },
            job({
              jobId: 'C',
              status: 'failed',
              error: { code: 'TIMEOUT', message: 'slow', retryable: true },
            }),
          ],
        },
      },
    });
    const entries = await client.submitBatch(
      [
        { type: 'system.simulate', payload: {} },
        { type: 'nope', payload: {} },
        { type: 'system.simulate', payload: {} },
      ],
      { idempotencyKey: 'batch-1' },
    );
    expect(entries.map((entry) => (entry.ok ? entry.job.jobId : entry.error.code))).toEqual([
      'A',
      'VALIDATION_ERROR',
      'C',
    ]);
    expect(requests[0]?.headers['idempotency-key']).toBe('batch-1');
    expect(requests[0]?.body).toEqual({
      jobs: [
        { type: 'system.simulate', payload: {} },
        { type: 'nope', payload: {} },
        { type: 'system.simulate', payload: {} },
      ],
    });
  });

  test('upload asks for a signed URL with the byte count, then PUTs the bytes with the signed headers', async () => {
    const { client, requests } = clientWith({
      'POST /v1/uploads': {
        status: 201,
        body: {
          uploadUrl: 'https://bucket.example.test/uploads/u/1/cv.txt?X-Amz-Signature=abc',
          method: 'PUT',
          headers: { 'content-type': 'text/plain', 'content-length': '5' },
          fileKey: 'uploads/u/1/cv.txt',
          expiresAt: '2026-11-30T01:00:00.000Z',
          maxBytes: 10_485_760,
        },
      },
      'PUT /uploads/u/1/cv.txt': { status: 200 },
    });
    const uploaded = await client.upload({
      data: 'héllo'.slice(0, 4),
      fileName: 'cv.txt',
      contentType: 'text/plain',
    });
    expect(uploaded).toEqual({
      fileKey: 'uploads/u/1/cv.txt',
      bytes: 5,
      expiresAt: '2026-11-30T01:00:00.000Z',
    });
    expect(requests[0]?.body).toEqual({ fileName: 'cv.txt', contentType: 'text/plain', bytes: 5 });
    expect(requests[1]).toMatchObject({ method: 'PUT', body: 'héll' });
    expect(requests[1]?.url.searchParams.get('X-Amz-Signature')).toBe('abc');
    expect(requests[1]?.headers['content-type']).toBe('text/plain');
    expect(requests[1]?.headers.authorization).toBeUndefined();
  });

  test('a refused upload PUT is an error with the store’s status', async () => {
    const { client } = clientWith({
      'POST /v1/uploads': {
        status: 201,
        body: {
          uploadUrl: 'https://bucket.example.test/k',
          method: 'PUT',
          headers: {},
          fileKey: 'k',
          expiresAt: 'x',
        },
      },
      'PUT /k': { status: 403 },
    });
    expect(await rejection(client.upload({ data: new Uint8Array([1, 2]), fileName: 'a.bin' }))).toMatchObject(
      {
        status: 403,
        code: 'UPLOAD_FAILED',
      },
    );
  });

  test('admin search pages through all users’ jobs with the userId filter', async () => {
    const { client, requests } = clientWith({
      'GET /v1/admin/jobs': (request) =>
        request.url.searchParams.get('cursor')
          ? { body: { jobs: [job({ jobId: 'B' })], nextCursor: null } }
          : { body: { jobs: [job({ jobId: 'A' })], nextCursor: 'n' } },
    });
    const ids: string[] = [];
    for await (const found of client.adminJobs({ status: 'failed', userId: 'bob' })) ids.push(found.jobId);
    expect(ids).toEqual(['A', 'B']);
    expect(requests[1]?.url.search).toBe('?status=failed&userId=bob&cursor=n');
  });

  test('bulk retry posts the filter body and returns how many were retried', async () => {
    const { client, requests } = clientWith({
      'POST /v1/admin/jobs/retry': { status: 202, body: { retried: 12 } },
    });
    expect(await client.retryJobs({ status: 'failed', type: 'pdf.render', limit: 500 })).toEqual({
      retried: 12,
    });
    expect(requests[0]?.body).toEqual({ status: 'failed', type: 'pdf.render', limit: 500 });
  });

  test('queues, pause/resume and the DLQ calls reach their routes', async () => {
    const entry = { priority: 'low', paused: true, waiting: 3, inFlight: 0, delayed: 0, dlq: 2 };
    const { client, requests } = clientWith({
      'GET /v1/queues': { body: { queues: [entry] } },
      'POST /v1/queues/low/pause': { body: entry },
      'POST /v1/queues/low/resume': { body: { ...entry, paused: false } },
      'GET /v1/queues/low/dlq': { body: { messages: [{ jobId: JOB_ID, receiveCount: 5, sentAt: 'x' }] } },
      'POST /v1/queues/low/dlq/redrive': { body: { moved: 2 } },
      'POST /v1/queues/low/dlq/purge': { body: { purged: 0 } },
    });
    expect(await client.queues()).toEqual([entry]);
    expect((await client.pauseQueue('low')).paused).toBe(true);
    expect((await client.resumeQueue('low')).paused).toBe(false);
    expect(await client.dlq.peek('low', { limit: 5 })).toEqual([
      { jobId: JOB_ID, receiveCount: 5, sentAt: 'x' },
    ]);
    expect(await client.dlq.redrive('low')).toEqual({ moved: 2 });
    expect(await client.dlq.purge('low')).toEqual({ purged: 0 });
    expect(requests[3]?.url.search).toBe('?limit=5');
  });

  test('alarms reads GET /v1/admin/alarms and returns its list', async () => {
    const alarm = {
      name: 'JobQueue-MonitoringNormalDeadLetters-X',
      description: 'Messages in the normal DLQ',
      state: 'ALARM',
      reason: 'Threshold crossed',
      since: '2026-11-30T05:00:00.000Z',
      threshold: 0,
      comparison: 'GreaterThanThreshold',
    };
    const { client, requests } = clientWith({ 'GET /v1/admin/alarms': { body: { alarms: [alarm] } } });
    expect(await client.alarms()).toEqual([alarm]);
    expect(requests[0]?.url.pathname).toBe('/v1/admin/alarms');
  });

  test('stats passes the window as query parameters; events and cancel/retry reach their job routes', async () => {
    const { client, requests } = clientWith({
      'GET /v1/stats': { body: { window: { from: '2026-11-01', to: '2026-11-30' } } },
      [`GET /v1/jobs/${JOB_ID}/events`]: {
        body: { events: [{ at: 'a', from: null, to: 'queued', attempt: 0 }] },
      },
      [`POST /v1/jobs/${JOB_ID}/cancel`]: { status: 202, body: job({ status: 'cancelled' }) },
      [`POST /v1/jobs/${JOB_ID}/retry`]: { status: 202, body: job({ status: 'queued' }) },
    });
    expect((await client.stats({ from: '2026-11-01', to: '2026-11-30' })).window.from).toBe('2026-11-01');
    expect(requests[0]?.url.search).toBe('?from=2026-11-01&to=2026-11-30');
    expect(await client.events(JOB_ID)).toEqual([{ at: 'a', from: null, to: 'queued', attempt: 0 }]);
    expect((await client.cancel(JOB_ID)).status).toBe('cancelled');
    expect((await client.retry(JOB_ID)).status).toBe('queued');
  });
});
