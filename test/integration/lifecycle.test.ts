import { api, eventually, getJob, SocketClient, submit, untilStatus } from './support/client';

describe('a job from submission to completion', () => {
  test('progress arrives over the WebSocket in order and the job completes with its result', async () => {
    const socket = await SocketClient.connect('alice');
    try {
      const job = await submit('alice', {
        type: 'system.simulate',
        payload: { durationMs: 1500, steps: 3, result: { answer: 42 } },
        correlationId: 'corr-lifecycle',
      });
      expect(job).toMatchObject({
        status: 'queued',
        priority: 'normal',
        attempts: 0,
        correlationId: 'corr-lifecycle',
      });
      socket.send({ action: 'subscribe', jobId: job.jobId });
      const snapshot = await socket.next((frame) => frame.type === 'job.snapshot');
      expect(snapshot.job.jobId).toBe(job.jobId);

      const completed = await socket.next(
        (frame) => frame.type === 'job.completed' && frame.jobId === job.jobId,
      );
      expect(completed).toMatchObject({ status: 'completed', result: { answer: 42 } });
      expect(typeof completed.at).toBe('string');

      const pushes = socket.frames.filter((frame) => frame.jobId === job.jobId);
      const processingIndex = pushes.findIndex(
        (frame) => frame.type === 'job.status' && frame.status === 'processing',
      );
      const firstProgress = pushes.findIndex((frame) => frame.type === 'job.progress');
      if (snapshot.job.status === 'queued') {
        // Subscribed before the claim: the attempt's start is pushed, before its progress.
        expect(processingIndex).toBeGreaterThanOrEqual(0);
        expect(firstProgress).toBeGreaterThan(processingIndex);
      } else {
        // A loaded machine let the claim win the race: the snapshot already says so.
        expect(snapshot.job.status).toBe('processing');
        expect(processingIndex).toBe(-1);
      }
      // Whatever the race, versions only grow after the snapshot.
      const versions = pushes.filter((frame) => frame.type !== 'job.snapshot').map((frame) => frame.version);
      expect(versions.every((version) => version > snapshot.job.version)).toBe(true);
      expect(pushes.at(-1)?.type).toBe('job.completed');
      expect(
        pushes.filter((frame) => frame.type === 'job.progress').map((frame) => frame.progress.percent),
      ).toEqual(expect.arrayContaining([expect.any(Number)]));

      const finished = await getJob('alice', job.jobId);
      expect(finished).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: { answer: 42 },
        progress: { percent: 100 },
        correlationId: 'corr-lifecycle',
      });
      expect(finished.durationMs).toBeGreaterThanOrEqual(1400);
      expect(Date.parse(finished.completedAt)).toBeGreaterThanOrEqual(Date.parse(finished.startedAt));

      const events = (await api('GET', `/v1/jobs/${job.jobId}/events`, { user: 'alice' })).body.events;
      expect(events.map((event: { to: string }) => event.to)).toEqual(['queued', 'processing', 'completed']);
    } finally {
      await socket.close();
    }
  });

  test('subscribing to all of my jobs pushes every one of them, and a ping is answered', async () => {
    const socket = await SocketClient.connect('carol');
    try {
      socket.send({ action: 'ping' });
      await socket.next((frame) => frame.type === 'pong');
      socket.send({ action: 'subscribe' });
      await socket.next((frame) => frame.type === 'subscribed');
      const jobs = await Promise.all(
        [1, 2].map(() => submit('carol', { type: 'system.simulate', payload: { durationMs: 200 } })),
      );
      for (const job of jobs) {
        await socket.next((frame) => frame.type === 'job.completed' && frame.jobId === job.jobId);
      }
    } finally {
      await socket.close();
    }
  });

  test('priorities: a numeric priority runs on its band and is kept', async () => {
    const job = await submit('alice', { type: 'system.simulate', payload: { durationMs: 50 }, priority: 20 });
    expect(job).toMatchObject({ priority: 'critical', priorityValue: 20 });
    const done = await untilStatus('alice', job.jobId, ['completed']);
    expect(done.priority).toBe('critical');
  });

  test('a batch answers per entry in order and runs the valid jobs', async () => {
    const reply = await api('POST', '/v1/jobs/batch', {
      user: 'alice',
      body: {
        jobs: [
          { type: 'system.simulate', payload: { durationMs: 10 } },
          { type: 'no.such.type', payload: {} },
          { type: 'system.simulate', payload: { durationMs: 10 }, priority: 'low' },
        ],
      },
    });
    expect(reply.status).toBe(202);
    const [first, invalid, third] = reply.body.jobs;
    expect(invalid.error.code).toBe('VALIDATION_ERROR');
    expect(third.priority).toBe('low');
    await untilStatus('alice', first.jobId, ['completed']);
    await untilStatus('alice', third.jobId, ['completed']);
  });

  test('listing pages through my jobs newest first without repeats', async () => {
    const submitted: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      submitted.push((await submit('dave', { type: 'system.simulate', payload: { durationMs: 10 } })).jobId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await api('GET', `/v1/jobs${query}`, { user: 'dave' });
      expect(page.status).toBe(200);
      seen.push(...page.body.jobs.map((job: { jobId: string }) => job.jobId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...submitted].reverse());
    const filtered = await eventually(
      () => api('GET', '/v1/jobs?status=completed&limit=100', { user: 'dave' }),
      (reply) => reply.body.jobs.length === 5,
    );
    expect(filtered.body.jobs.every((job: { status: string }) => job.status === 'completed')).toBe(true);
  });
});
