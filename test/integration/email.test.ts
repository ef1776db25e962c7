import { api, eventually, stack, submit, untilStatus } from './support/client';

const mailSink = async (): Promise<any[]> =>
  ((await (await fetch(`${stack().dashboardUrl}api/mail`)).json()) as { mail: any[] }).mail;

test('email.send delivers through SES v2 (the local mail sink) and returns the message id', async () => {
  const subject = `Your export is ready ${Date.now()}`;
  const job = await submit('olivia', {
    type: 'email.send',
    payload: {
      to: 'ada@example.com',
      subject,
      text: 'Download it from the app.',
      html: '<p>Download it.</p>',
    },
  });
  expect(job.priority).toBe('low');
  const done = await untilStatus('olivia', job.jobId, ['completed', 'failed']);
  expect(done.status).toBe('completed');
  expect(done.result.messageId).toMatch(/^local-/);
  const sent = (await mailSink()).find((mail) => mail.subject === subject);
  expect(sent).toMatchObject({
    messageId: done.result.messageId,
    from: 'no-reply@example.com',
    to: ['ada@example.com'],
    text: 'Download it from the app.',
  });
});

test('an invalid address is refused at submission with the field named', async () => {
  const reply = await api('POST', '/v1/jobs', {
    user: 'olivia',
    body: { type: 'email.send', payload: { to: 'not-an-address', subject: 'x', text: 'x' } },
  });
  expect(reply.status).toBe(400);
  expect(reply.body.error.details.fields.map((issue: { field: string }) => issue.field)).toContain(
    'payload.to',
  );
});

test('the type rate (14 email.send per second) holds across 50 concurrent workers, without using attempts', async () => {
  const count = 42;
  const reply = await api('POST', '/v1/jobs/batch', {
    user: 'peggy',
    body: {
      jobs: Array.from({ length: count }, (_, index) => ({
        type: 'email.send',
        priority: 'critical',
        payload: { to: `user${index}@example.com`, subject: `rate ${index}`, text: 'x' },
      })),
    },
  });
  expect(reply.status).toBe(202);
  const ids: string[] = reply.body.jobs.map((job: { jobId: string }) => job.jobId);
  const jobs = await eventually(
    () =>
      Promise.all(ids.map(async (jobId) => (await api('GET', `/v1/jobs/${jobId}`, { user: 'peggy' })).body)),
    (all) => all.every((job) => job.status === 'completed'),
    120_000,
    500,
  );
  const startsPerSecond = new Map<string, number>();
  for (const job of jobs) {
    const second = String(job.startedAt).slice(0, 19);
    startsPerSecond.set(second, (startsPerSecond.get(second) ?? 0) + 1);
  }
  expect(Math.max(...startsPerSecond.values())).toBeLessThanOrEqual(14);
  expect(startsPerSecond.size).toBeGreaterThanOrEqual(3);
  expect(jobs.every((job) => job.attempts === 1)).toBe(true);
});
