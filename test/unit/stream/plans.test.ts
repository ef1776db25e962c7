import type { JobRecord } from '../../../lambdas/core/job';
import type { JobChange } from '../../../lambdas/core/stream-image';
import { addToStats, emptyStatsDelta, messageFor } from '../../../lambdas/stream/plan-dispatch';
import { isNewerThan, pushesFor } from '../../../lambdas/stream/plan-pushes';

const T0 = '2026-11-23T10:00:00.000Z';
const T1 = '2026-11-23T10:00:01.000Z';

const job = (fields: Partial<JobRecord> = {}): JobRecord => ({
  jobId: '01JD0000000000000000000000',
  userId: 'user-1',
  type: 'system.simulate',
  status: 'queued',
  priority: 'high',
  priorityValue: 10,
  payload: {},
  attempts: 0,
  maxAttempts: 3,
  createdAt: T0,
  updatedAt: T0,
  events: [{ at: T0, from: null, to: 'queued', attempt: 0 }],
  version: 1,
  ...fields,
});

const modify = (oldJob: JobRecord, newJob: JobRecord): JobChange => ({ eventName: 'MODIFY', oldJob, newJob });

describe('dispatch: the outbox', () => {
  test('a new queued job gets a message for attempt 1 on its priority queue', () => {
    expect(messageFor({ eventName: 'INSERT', newJob: job() })).toEqual({
      priority: 'high',
      message: { jobId: '01JD0000000000000000000000', attempt: 1, type: 'system.simulate' },
    });
  });

  test('a new delayed job carries its runAt so the worker can chain long delays', () => {
    const delayed = job({ status: 'delayed', runAt: '2026-11-24T10:00:00.000Z' });
    expect(messageFor({ eventName: 'INSERT', newJob: delayed })?.message).toEqual({
      jobId: delayed.jobId,
      attempt: 1,
      runAt: '2026-11-24T10:00:00.000Z',
      type: delayed.type,
    });
  });

  test('processing → retrying sends the next attempt with the backoff runAt', () => {
    const running = job({ status: 'processing', attempts: 1 });
    const retrying = job({ status: 'retrying', attempts: 1, runAt: T1 });
    expect(messageFor(modify(running, retrying))?.message).toEqual({
      jobId: running.jobId,
      attempt: 2,
      runAt: T1,
      type: running.type,
    });
  });

  test('the retry route (failed → queued, attempts 0) sends attempt 1 again', () => {
    expect(messageFor(modify(job({ status: 'failed', attempts: 3 }), job()))?.message.attempt).toBe(1);
  });

  test('a new job the API sent itself at submit gets no second message; its stats still count', () => {
    const sent = job({ sentAtSubmit: true });
    expect(messageFor({ eventName: 'INSERT', newJob: sent })).toBeUndefined();
    const delta = emptyStatsDelta();
    addToStats(delta, { eventName: 'INSERT', newJob: sent });
    expect([...delta.counters.values()].map((entry) => entry.deltas)).toEqual([{ submitted: 1 }]);
  });

  test('the mark is about the first message only: a retried job that was sent at submit is sent again', () => {
    const failed = job({ status: 'failed', attempts: 3, sentAtSubmit: true });
    expect(messageFor(modify(failed, job({ sentAtSubmit: true })))?.message.attempt).toBe(1);
    const running = job({ status: 'processing', attempts: 1, sentAtSubmit: true });
    const retrying = job({ status: 'retrying', attempts: 1, runAt: T1, sentAtSubmit: true });
    expect(messageFor(modify(running, retrying))?.message.attempt).toBe(2);
  });

  test.each([
    [
      'progress on a running job',
      job({ status: 'processing', attempts: 1 }),
      job({ status: 'processing', attempts: 1, progress: { percent: 5 } }),
    ],
    ['delayed → queued (the worker holds that message)', job({ status: 'delayed' }), job()],
    ['completion', job({ status: 'processing', attempts: 1 }), job({ status: 'completed', attempts: 1 })],
  ])('%s sends nothing', (_name, before, after) => {
    expect(messageFor(modify(before, after))).toBeUndefined();
  });
});

describe('dispatch: statistics', () => {
  const USER_ROW = '2026-11-23|USER#user-1|system.simulate|high';

  test('counts a submission and a completion in the owner’s row of the day, with the duration', () => {
    const delta = emptyStatsDelta();
    addToStats(delta, { eventName: 'INSERT', newJob: job() });
    addToStats(
      delta,
      modify(
        job({ status: 'processing', attempts: 1 }),
        job({ status: 'completed', attempts: 1, durationMs: 250, updatedAt: T1 }),
      ),
    );
    expect([...delta.counters]).toEqual([
      [
        USER_ROW,
        {
          key: { day: '2026-11-23', scope: 'USER#user-1', type: 'system.simulate', priority: 'high' },
          deltas: { submitted: 1, completed: 1, totalDurationMs: 250, durationCount: 1 },
        },
      ],
    ]);
  });

  test('everyone’s scope is not written: it is added up from the users’ rows when read', () => {
    const delta = emptyStatsDelta();
    addToStats(delta, { eventName: 'INSERT', newJob: job() });
    addToStats(delta, { eventName: 'INSERT', newJob: job({ userId: 'user-2' }) });
    expect([...delta.counters.keys()]).toEqual([USER_ROW, '2026-11-23|USER#user-2|system.simulate|high']);
  });

  test('an end is counted on the day it happens, a cancellation without a duration', () => {
    const delta = emptyStatsDelta();
    addToStats(
      delta,
      modify(job(), job({ status: 'cancelled', durationMs: 5, updatedAt: '2026-11-24T00:00:01.000Z' })),
    );
    addToStats(
      delta,
      modify(
        job({ status: 'retrying', attempts: 3 }),
        job({ status: 'failed', attempts: 3, durationMs: 7, updatedAt: '2026-11-24T00:00:02.000Z' }),
      ),
    );
    expect(delta.counters.get('2026-11-24|USER#user-1|system.simulate|high')?.deltas).toEqual({
      cancelled: 1,
      failed: 1,
      totalDurationMs: 7,
      durationCount: 1,
    });
  });

  test.each([
    ['a claim', job(), job({ status: 'processing', attempts: 1 })],
    [
      'a progress write',
      job({ status: 'processing', attempts: 1 }),
      job({ status: 'processing', attempts: 1, progress: { percent: 50 } }),
    ],
    [
      'a retry (processing → retrying)',
      job({ status: 'processing', attempts: 1 }),
      job({ status: 'retrying' }),
    ],
    ['the retry route (failed → queued)', job({ status: 'failed', attempts: 3 }), job()],
    ['delayed → queued', job({ status: 'delayed' }), job()],
    [
      'a change to a finished job',
      job({ status: 'completed', attempts: 1 }),
      job({ status: 'completed', attempts: 1, durationMs: 3 }),
    ],
  ])('%s counts nothing', (_name, before, after) => {
    const delta = emptyStatsDelta();
    addToStats(delta, modify(before, after));
    expect(delta.counters.size).toBe(0);
  });

  test('a job deleted by its TTL counts nothing and needs no message', () => {
    const delta = emptyStatsDelta();
    addToStats(delta, { eventName: 'REMOVE', oldJob: job({ status: 'completed', attempts: 1 }) });
    expect(delta.counters.size).toBe(0);
    expect(messageFor({ eventName: 'REMOVE', oldJob: job() })).toBeUndefined();
  });
});

describe('notify: pushes', () => {
  test('an attempt starting then reporting progress pushes job.status processing before job.progress', () => {
    const before = job();
    const after = job({
      status: 'processing',
      attempts: 1,
      updatedAt: T1,
      progress: { percent: 40, stage: 'parsing' },
      events: [...before.events, { at: T1, from: 'queued', to: 'processing', attempt: 1 }],
      version: 2,
    });
    // Every push carries the job's version after the change (one write, one version).
    expect(pushesFor(modify(before, after))).toEqual([
      { type: 'job.status', jobId: before.jobId, status: 'processing', at: T1, attempt: 1, version: 2 },
      {
        type: 'job.progress',
        jobId: before.jobId,
        status: 'processing',
        at: T1,
        version: 2,
        progress: { percent: 40, stage: 'parsing' },
      },
    ]);
  });

  test('completion is the last push and carries the result', () => {
    const before = job({ status: 'processing', attempts: 1, progress: { percent: 50 } });
    const after = job({
      ...before,
      status: 'completed',
      result: { ok: true },
      progress: { percent: 100 },
      events: [...before.events, { at: T1, from: 'processing', to: 'completed', attempt: 1 }],
      version: 5,
    });
    const pushes = pushesFor(modify(before, after));
    expect(pushes).toEqual([
      {
        type: 'job.completed',
        jobId: before.jobId,
        status: 'completed',
        at: T1,
        version: 5,
        result: { ok: true },
      },
    ]);
  });

  test('a retry pushes job.status retrying with the error', () => {
    const error = { code: 'HANDLER_ERROR', message: 'boom', retryable: true };
    const before = job({ status: 'processing', attempts: 1 });
    const after = job({
      ...before,
      status: 'retrying',
      error,
      events: [...before.events, { at: T1, from: 'processing', to: 'retrying', attempt: 1, error }],
      version: 3,
    });
    expect(pushesFor(modify(before, after))).toEqual([
      { type: 'job.status', jobId: before.jobId, status: 'retrying', at: T1, attempt: 1, version: 3, error },
    ]);
  });

  test('a progress write alone pushes job.progress with the job’s version and updatedAt', () => {
    const before = job({ status: 'processing', attempts: 1, progress: { percent: 10 }, version: 2 });
    const after = { ...before, progress: { percent: 60 }, updatedAt: T1 };
    expect(pushesFor(modify(before, after))).toEqual([
      {
        type: 'job.progress',
        jobId: before.jobId,
        status: 'processing',
        at: T1,
        version: 2,
        progress: { percent: 60 },
      },
    ]);
  });

  test('setting the watched flag pushes nothing (no event, no progress moved)', () => {
    const before = job({ status: 'processing', attempts: 1, progress: { percent: 10 } });
    expect(pushesFor(modify(before, { ...before, watched: true }))).toEqual([]);
  });
});

describe('notify: what a subscriber’s snapshot already showed', () => {
  const since = { version: 3, updatedAt: T1 };
  test.each([
    ['a later version', { version: 4, updatedAt: T0 }, true],
    [
      'the same version written later (a progress write)',
      { version: 3, updatedAt: '2026-11-23T10:00:01.001Z' },
      true,
    ],
    ['the very state of the snapshot', { version: 3, updatedAt: T1 }, false],
    ['the same version written earlier', { version: 3, updatedAt: T0 }, false],
    ['an older version (a lagging stream)', { version: 2, updatedAt: '2026-11-23T10:00:09.000Z' }, false],
  ])('%s is news: %s', (_name, state, expected) => {
    expect(isNewerThan(state, since)).toBe(expected);
  });
});
