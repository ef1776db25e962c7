import { api, SocketClient, sleep, submit, untilStatus } from './support/client';

const simulate = { type: 'system.simulate', payload: { durationMs: 10 } };

describe('auth', () => {
  test.each([
    ['no token', { user: null }],
    ['a malformed token', { user: null, headers: { authorization: 'Bearer not.a.jwt' } }],
    [
      'a token from another issuer',
      { user: null, headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' } },
    ],
  ] as const)('%s is 401 from the gateway', async (_name, options) => {
    const reply = await api('POST', '/v1/jobs', { ...options, body: simulate });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ message: 'Unauthorized' });
  });

  test('the health check needs no token and reports its dependencies', async () => {
    const reply = await api('GET', '/v1/health', { user: null });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', checks: { table: 'ok', queues: 'ok', bucket: 'ok' } });
  });

  test('a WebSocket without a valid token is refused with 401', async () => {
    await expect(SocketClient.connect(null)).rejects.toMatchObject({ statusCode: 401 });
    await expect(SocketClient.connect('not-a-token')).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('errors in the contract shape', () => {
  test('unknown routes are 404 NOT_FOUND from the API function', async () => {
    const reply = await api('GET', '/v1/nothing-here', { user: 'alice' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('NOT_FOUND');
  });

  test('a malformed job id is just an unknown job', async () => {
    const reply = await api('GET', '/v1/jobs/not-a-job', { user: 'alice' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('NOT_FOUND');
  });

  test.each([
    ['bad JSON', { rawBody: '{"type":' }, undefined],
    ['an unknown type', { body: { type: 'nope', payload: {} } }, 'type'],
    [
      'a payload failing the schema',
      { body: { type: 'system.simulate', payload: { durationMs: -5 } } },
      'payload.durationMs',
    ],
    ['a bad priority', { body: { ...simulate, priority: 'urgent' } }, 'priority'],
    ['a delay too long', { body: { ...simulate, delaySeconds: 604_801 } }, 'delaySeconds'],
  ])('%s is 400 VALIDATION_ERROR listing the fields', async (_name, options, field) => {
    const reply = await api('POST', '/v1/jobs', { user: 'alice', ...options });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(reply.body)).not.toMatch(/at \w+ \(|arn:aws|Exception/);
    if (field)
      expect(reply.body.error.details.fields.map((issue: { field: string }) => issue.field)).toContain(field);
  });

  test('a bad limit or a forged cursor is 400', async () => {
    expect((await api('GET', '/v1/jobs?limit=0', { user: 'alice' })).status).toBe(400);
    expect((await api('GET', '/v1/jobs?limit=101', { user: 'alice' })).status).toBe(400);
    const forged = Buffer.from('2026-01-01T00:00:00.000Z#01JD0000000000000000000000x').toString('base64url');
    const reply = await api('GET', `/v1/jobs?cursor=${forged}`, { user: 'alice' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.fields[0].field).toBe('cursor');
  });

  test('a body over 256 KB is 413 PAYLOAD_TOO_LARGE', async () => {
    const reply = await api('POST', '/v1/jobs', {
      user: 'alice',
      body: { ...simulate, metadata: { blob: 'x'.repeat(257 * 1024) } },
    });
    expect(reply.status).toBe(413);
    expect(reply.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('an upload larger than maxBytes is 413; a valid one gets a presigned PUT', async () => {
    const tooBig = await api('POST', '/v1/uploads', {
      user: 'alice',
      body: { fileName: 'cv.pdf', contentType: 'application/pdf', bytes: 10 * 1024 * 1024 + 1 },
    });
    expect(tooBig.status).toBe(413);
    const grant = await api('POST', '/v1/uploads', {
      user: 'alice',
      body: { fileName: 'cv.txt', contentType: 'text/plain', bytes: 11 },
    });
    expect(grant.status).toBe(201);
    expect(grant.body).toMatchObject({ method: 'PUT', maxBytes: 10 * 1024 * 1024 });
    const put = await fetch(grant.body.uploadUrl, {
      method: 'PUT',
      headers: grant.body.headers,
      body: 'hello world',
    });
    expect(put.status).toBe(200);
  });
});

describe('idempotency', () => {
  test('the same key and body returns the first job (200) without queueing another', async () => {
    const headers = { 'Idempotency-Key': `order-${Date.now()}` };
    const first = await api('POST', '/v1/jobs', { user: 'alice', body: simulate, headers });
    expect(first.status).toBe(202);
    const replay = await api('POST', '/v1/jobs', { user: 'alice', body: simulate, headers });
    expect(replay.status).toBe(200);
    expect(replay.body.jobId).toBe(first.body.jobId);
    const conflict = await api('POST', '/v1/jobs', {
      user: 'alice',
      body: { ...simulate, payload: { durationMs: 11 } },
      headers,
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    // Keys are per user: bob's identical key is his own.
    const bobs = await api('POST', '/v1/jobs', { user: 'bob', body: simulate, headers });
    expect(bobs.status).toBe(202);
    expect(bobs.body.jobId).not.toBe(first.body.jobId);
  });

  test('a key over 128 characters is 400', async () => {
    const reply = await api('POST', '/v1/jobs', {
      user: 'alice',
      body: simulate,
      headers: { 'Idempotency-Key': 'k'.repeat(129) },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_ERROR');
  });
});

describe('isolation between users', () => {
  test("bob cannot read, cancel, retry or watch alice's job: it does not exist for him", async () => {
    const job = await submit('alice', {
      type: 'system.simulate',
      payload: { durationMs: 10 },
      delaySeconds: 60,
    });
    for (const [method, route] of [
      ['GET', `/v1/jobs/${job.jobId}`],
      ['GET', `/v1/jobs/${job.jobId}/events`],
      ['POST', `/v1/jobs/${job.jobId}/cancel`],
      ['POST', `/v1/jobs/${job.jobId}/retry`],
    ] as const) {
      const reply = await api(method, route, { user: 'bob' });
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe('NOT_FOUND');
    }
    const bobsList = await api('GET', '/v1/jobs?limit=100', { user: 'bob' });
    expect(bobsList.body.jobs.map((listed: { jobId: string }) => listed.jobId)).not.toContain(job.jobId);

    const socket = await SocketClient.connect('bob');
    try {
      socket.send({ action: 'subscribe', jobId: job.jobId });
      expect(await socket.next((frame) => frame.type === 'error')).toMatchObject({ code: 'NOT_FOUND' });
      socket.send({ action: 'dance' });
      expect(
        await socket.next((frame) => frame.type === 'error' && frame.code === 'VALIDATION_ERROR'),
      ).toBeDefined();
    } finally {
      await socket.close();
    }
    // An admin sees it.
    expect((await api('GET', `/v1/jobs/${job.jobId}`, { user: 'admin' })).status).toBe(200);
    await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'alice' });
  });
});

describe('rate limit', () => {
  test('the 121st job within a minute is refused with 429 and Retry-After; nothing accepted is lost', async () => {
    // The limit counts per UTC minute: start early in one so the whole burst lands in it.
    const second = new Date().getUTCSeconds();
    if (second > 40) await sleep((61 - second) * 1000);
    const batch = await api('POST', '/v1/jobs/batch', {
      user: 'grace',
      body: { jobs: Array.from({ length: 100 }, () => simulate) },
    });
    expect(batch.status).toBe(202);
    const accepted: string[] = batch.body.jobs.map((job: { jobId: string }) => job.jobId);
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    for (let index = 0; index < 30 && !refused; index += 1) {
      const reply = await api('POST', '/v1/jobs', { user: 'grace', body: simulate });
      if (reply.status === 429) refused = reply;
      else accepted.push(reply.body.jobId);
    }
    // Submissions straddling a minute boundary may start a fresh window; within one, the limit is exact.
    expect(refused).toBeDefined();
    expect(refused?.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Other users are not affected.
    expect((await api('POST', '/v1/jobs', { user: 'ivan', body: simulate })).status).toBe(202);
    // Every accepted job runs to completion.
    const last = accepted.at(-1) as string;
    await untilStatus('grace', last, ['completed'], 90_000);
    const list = await api('GET', '/v1/jobs?status=completed&limit=100', { user: 'grace' });
    expect(list.body.jobs.length).toBeGreaterThan(0);
  });
});
