import { api, sleep, submit, untilStatus } from './support/client';

/** Waits, if needed, so the next `seconds` stay inside one minute (the rate window). */
const awayFromMinuteEnd = async (seconds: number) => {
  const intoMinute = new Date().getUTCSeconds();
  if (intoMinute > 60 - seconds) await sleep((61 - intoMinute) * 1000);
};

/** Jobs that count against the limit but wait an hour, so filling a window runs nothing. */
const waitingJobs = (count: number) =>
  Array.from({ length: count }, () => ({
    type: 'system.simulate',
    payload: { durationMs: 0 },
    delaySeconds: 3600,
  }));

describe('diagnostics and system types', () => {
  test('crash is 403 FORBIDDEN for a user, alone or inside a batch', async () => {
    const crash = { type: 'system.simulate', payload: { crash: true } };
    const alone = await api('POST', '/v1/jobs', { user: 'yolanda', body: crash });
    expect(alone.status).toBe(403);
    expect(alone.body.error).toMatchObject({ code: 'FORBIDDEN', details: { rule: 'adminOnlyOption' } });
    const batch = await api('POST', '/v1/jobs/batch', { user: 'yolanda', body: { jobs: [crash] } });
    expect(batch.body.jobs[0].error.code).toBe('FORBIDDEN');
  });

  test('analytics.rollup is a system type: 403 for a user', async () => {
    const reply = await api('POST', '/v1/jobs', {
      user: 'yolanda',
      body: { type: 'analytics.rollup', payload: {} },
    });
    expect(reply.status).toBe(403);
    expect(reply.body.error.details).toEqual({ rule: 'systemJobType' });
  });
});

describe('email.send', () => {
  const email = (to: string | string[], subject = `Hello ${Date.now()}`) => ({
    type: 'email.send',
    payload: { to, subject, text: 'Hi' },
  });

  test('a recipient outside the allowed domains is 403 naming the rule; an admin may mail it', async () => {
    const refused = await api('POST', '/v1/jobs', {
      user: 'zoe',
      body: email(['ada@example.com', 'someone@elsewhere.test']),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ rule: 'emailRecipientDomains' });
    expect(refused.body.error.message).toContain('example.com');
    const admin = await submit('admin', email('someone@elsewhere.test'));
    expect((await untilStatus('admin', admin.jobId, ['completed', 'failed'])).status).toBe('completed');
  });

  test('CR or LF in the subject is a 400', async () => {
    const reply = await api('POST', '/v1/jobs', {
      user: 'zoe',
      body: email('ada@example.com', 'Hi\r\nBcc: victim@elsewhere.test'),
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.fields[0].field).toBe('payload.subject');
  });

  test('the daily quota (100 recipients) ends in 429 with Retry-After; what was accepted is sent', async () => {
    const fifty = (batch: number) => Array.from({ length: 50 }, (_, i) => `r${batch}-${i}@example.com`);
    const first = await submit('quentin', email(fifty(1)));
    await submit('quentin', email(fifty(2)));
    const refused = await api('POST', '/v1/jobs', { user: 'quentin', body: email('one-more@example.com') });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { quota: 'emails', limitPerDay: 100 },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await untilStatus('quentin', first.jobId, ['completed', 'failed'])).status).toBe('completed');
  });
});

describe('limits hold', () => {
  test('50 parallel submissions at the edge of the per-minute limit admit exactly what is left', async () => {
    await awayFromMinuteEnd(20);
    const filled = await api('POST', '/v1/jobs/batch', { user: 'ursula', body: { jobs: waitingJobs(100) } });
    expect(filled.status).toBe(202);
    const replies = await Promise.all(
      waitingJobs(50).map((body) => api('POST', '/v1/jobs', { user: 'ursula', body })),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
  });

  test('a retry counts against the submission limit like a submit', async () => {
    const job = await submit('wendy', {
      type: 'system.simulate',
      payload: { failAttempts: 1, failWith: 'fatal' },
    });
    await untilStatus('wendy', job.jobId, ['failed']);
    await awayFromMinuteEnd(20);
    // Use up this minute's 120: a batch of 100, then single jobs until the first 429.
    expect(
      (await api('POST', '/v1/jobs/batch', { user: 'wendy', body: { jobs: waitingJobs(100) } })).status,
    ).toBe(202);
    for (let extra = 0; extra <= 20; extra += 1) {
      const [body] = waitingJobs(1);
      if ((await api('POST', '/v1/jobs', { user: 'wendy', body })).status === 429) break;
    }
    const retried = await api('POST', `/v1/jobs/${job.jobId}/retry`, { user: 'wendy' });
    expect(retried.status).toBe(429);
    expect(Number(retried.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api('GET', `/v1/jobs/${job.jobId}`, { user: 'wendy' })).body.status).toBe('failed');
  });

  test('uploads have a daily quota; 50 parallel grants at its edge admit exactly what is left', async () => {
    const grant = () =>
      api('POST', '/v1/uploads', {
        user: 'yolanda',
        body: { fileName: 'cv.txt', contentType: 'text/plain', bytes: 10 },
      });
    for (let i = 0; i < 175; i += 25) {
      const replies = await Promise.all(Array.from({ length: 25 }, grant));
      expect(replies.every((reply) => reply.status === 201)).toBe(true);
    }
    const edge = await Promise.all(Array.from({ length: 50 }, grant));
    expect(edge.filter((reply) => reply.status === 201)).toHaveLength(25);
    const refused = edge.filter((reply) => reply.status === 429);
    expect(refused).toHaveLength(25);
    expect(refused[0]?.body.error.details).toMatchObject({ quota: 'uploads', limitPerDay: 200 });
  });
});

test("a user's stats show their own counters, never the queues' global depths", async () => {
  const own = await api('GET', '/v1/stats', { user: 'zoe' });
  expect(own.status).toBe(200);
  expect(own.body.byPriority.normal).not.toHaveProperty('waiting');
  const admin = await api('GET', '/v1/stats', { user: 'admin' });
  expect(admin.body.byPriority.normal).toMatchObject({ waiting: expect.any(Number) });
});
