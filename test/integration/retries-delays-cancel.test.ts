import { api, getJob, SocketClient, sleep, submit, untilStatus } from './support/client';

describe('retries with backoff', () => {
  test('a job failing its first two attempts retries after ≈2 s then ≈4 s and completes on attempt 3', async () => {
    const socket = await SocketClient.connect('bob');
    try {
      const job = await submit('bob', {
        type: 'system.simulate',
        payload: { durationMs: 100, steps: 2, failAttempts: 2 },
      });
      socket.send({ action: 'subscribe', jobId: job.jobId });
      const done = await untilStatus('bob', job.jobId, ['completed', 'failed'], 60_000);
      expect(done).toMatchObject({ status: 'completed', attempts: 3 });
      expect(done).not.toHaveProperty('error');

      const events = (await api('GET', `/v1/jobs/${job.jobId}/events`, { user: 'bob' })).body.events;
      expect(events.map((event: { to: string }) => event.to)).toEqual([
        'queued',
        'processing',
        'retrying',
        'processing',
        'retrying',
        'processing',
        'completed',
      ]);
      const at = (index: number) => Date.parse(events[index].at);
      expect(at(3) - at(2)).toBeGreaterThanOrEqual(2000);
      expect(at(5) - at(4)).toBeGreaterThanOrEqual(4000);
      expect(events[2].error).toMatchObject({ code: 'SIMULATED_FAILURE', retryable: true });

      const retrying = await socket.next(
        (frame) => frame.type === 'job.status' && frame.status === 'retrying',
      );
      expect(retrying.error.code).toBe('SIMULATED_FAILURE');
      await socket.next((frame) => frame.type === 'job.completed');
    } finally {
      await socket.close();
    }
  });

  test('a non-retryable error fails the job at once, whatever attempts remain', async () => {
    const job = await submit('bob', {
      type: 'system.simulate',
      payload: { durationMs: 50, failAttempts: 5, failWith: 'fatal' },
      maxAttempts: 5,
    });
    const failed = await untilStatus('bob', job.jobId, ['failed', 'completed']);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'SIMULATED_FATAL', retryable: false },
    });
  });

  test('when attempts run out the job is failed with the last error, and the retry route runs it again', async () => {
    const job = await submit('bob', {
      type: 'system.simulate',
      payload: { durationMs: 50, failAttempts: 1 },
      maxAttempts: 1,
    });
    const failed = await untilStatus('bob', job.jobId, ['failed', 'completed']);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'SIMULATED_FAILURE' } });

    const retried = await api('POST', `/v1/jobs/${job.jobId}/retry`, { user: 'bob' });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    // failAttempts 1 only fails attempt 1 — and the retried job starts again from attempt 1.
    const again = await untilStatus('bob', job.jobId, ['failed', 'completed']);
    expect(again).toMatchObject({ status: 'failed', attempts: 1 });

    const completed = await submit('bob', { type: 'system.simulate', payload: { durationMs: 10 } });
    await untilStatus('bob', completed.jobId, ['completed']);
    const refused = await api('POST', `/v1/jobs/${completed.jobId}/retry`, { user: 'bob' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'completed' } });
  });
});

describe('delays', () => {
  test('a delayed job waits until runAt, then runs', async () => {
    const job = await submit('erin', {
      type: 'system.simulate',
      payload: { durationMs: 10 },
      delaySeconds: 3,
    });
    expect(job.status).toBe('delayed');
    const runAt = Date.parse(job.runAt);
    expect(runAt - Date.parse(job.createdAt)).toBe(3000);
    await sleep(1500);
    expect((await getJob('erin', job.jobId)).status).toBe('delayed');
    const done = await untilStatus('erin', job.jobId, ['completed']);
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(runAt - 1000);
  });

  test('runAt in the future is accepted like a delay', async () => {
    const runAt = new Date(Date.now() + 2000).toISOString();
    const job = await submit('erin', { type: 'system.simulate', payload: { durationMs: 10 }, runAt });
    expect(job.status).toBe('delayed');
    await untilStatus('erin', job.jobId, ['completed']);
  });
});

describe('cancel', () => {
  test('a delayed job is cancelled at once and never runs', async () => {
    const job = await submit('frank', {
      type: 'system.simulate',
      payload: { durationMs: 10 },
      delaySeconds: 2,
    });
    const cancelled = await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'frank' });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    await sleep(4000);
    const after = await getJob('frank', job.jobId);
    expect(after.status).toBe('cancelled');
    expect(after).not.toHaveProperty('startedAt');
  });

  test('a running job is asked to stop and ends cancelled within seconds', async () => {
    const socket = await SocketClient.connect('frank');
    try {
      const job = await submit('frank', {
        type: 'system.simulate',
        payload: { durationMs: 30_000, steps: 60 },
      });
      socket.send({ action: 'subscribe', jobId: job.jobId });
      await untilStatus('frank', job.jobId, ['processing']);
      const requested = await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'frank' });
      expect(requested.status).toBe(202);
      expect(['processing', 'cancelled']).toContain(requested.body.status);
      if (requested.body.status === 'processing') expect(requested.body.cancelRequested).toBe(true);
      const cancelledAt = Date.now();
      const cancelled = await untilStatus('frank', job.jobId, ['cancelled', 'completed']);
      expect(cancelled.status).toBe('cancelled');
      // Cooperative: the worker sees the flag on its next write (a progress write, or the lease
      // renewal after a third of a lease without one), not at once.
      expect(Date.now() - cancelledAt).toBeLessThan(30_000);
      const last = await socket.next((frame) => frame.type === 'job.cancelled');
      expect(last.jobId).toBe(job.jobId);

      const again = await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'frank' });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'INVALID_STATE', details: { status: 'cancelled' } });

      const retried = await api('POST', `/v1/jobs/${job.jobId}/retry`, { user: 'frank' });
      expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
      await untilStatus('frank', job.jobId, ['processing']);
      await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'frank' });
      await untilStatus('frank', job.jobId, ['cancelled']);
    } finally {
      await socket.close();
    }
  });

  test('a queued job cancelled before it starts never completes', async () => {
    const job = await submit('frank', { type: 'system.simulate', payload: { durationMs: 3000 } });
    const cancelled = await api('POST', `/v1/jobs/${job.jobId}/cancel`, { user: 'frank' });
    expect(cancelled.status).toBe(202);
    const final = await untilStatus('frank', job.jobId, ['cancelled', 'completed']);
    expect(final.status).toBe('cancelled');
  });
});
