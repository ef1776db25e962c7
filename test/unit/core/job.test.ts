import { type JobRecord, toJobView } from '../../../lambdas/core/job';

const base: JobRecord = {
  jobId: '01JZ0000000000000000000000',
  userId: 'alice',
  type: 'system.simulate',
  status: 'queued',
  priority: 'normal',
  priorityValue: 5,
  payload: { steps: 1 },
  attempts: 0,
  maxAttempts: 3,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
  events: [{ at: '2026-11-23T10:00:00.000Z', from: null, to: 'queued', attempt: 0 }],
  version: 1,
};

describe('toJobView (the job as clients see it)', () => {
  test('a new job shows its contract fields only, none of them undefined', () => {
    const view = toJobView(base);
    expect(view).toStrictEqual({
      jobId: '01JZ0000000000000000000000',
      type: 'system.simulate',
      status: 'queued',
      priority: 'normal',
      priorityValue: 5,
      payload: { steps: 1 },
      attempts: 0,
      maxAttempts: 3,
      createdAt: '2026-11-23T10:00:00.000Z',
      version: 1,
    });
    expect(Object.keys(view)).toHaveLength(10);
  });

  test('every optional contract field is shown when set; internals never are', () => {
    const job: JobRecord = {
      ...base,
      status: 'completed',
      result: { ok: true },
      error: { code: 'HANDLER_ERROR', message: 'boom', retryable: true },
      progress: { percent: 100, stage: 'done' },
      correlationId: 'order-7',
      entity: { name: 'order', id: '7' },
      metadata: { source: 'checkout' },
      items: { total: 3, processed: 3, failed: 0 },
      cancelRequested: true,
      runAt: '2026-11-23T10:01:00.000Z',
      startedAt: '2026-11-23T10:01:01.000Z',
      completedAt: '2026-11-23T10:01:02.000Z',
      durationMs: 1000,
      estimatedCompletionAt: '2026-11-23T10:01:02.000Z',
      leaseUntil: '2026-11-23T10:06:00.000Z',
      expiresAt: 1_790_000_000,
      submittedByAdmin: true,
      payloadRef: { key: 'payloads/p', bytes: 10 },
      resultRef: { key: 'results/r', bytes: 10 },
      supersedes: { key: 'alice#order#7', version: 2 },
      redispatch: { since: 'a', at: 'b', count: 1 },
      watched: true,
      version: 6,
    };
    expect(toJobView(job)).toStrictEqual({
      jobId: job.jobId,
      type: 'system.simulate',
      status: 'completed',
      priority: 'normal',
      priorityValue: 5,
      payload: { steps: 1 },
      result: { ok: true },
      error: { code: 'HANDLER_ERROR', message: 'boom', retryable: true },
      progress: { percent: 100, stage: 'done' },
      attempts: 0,
      maxAttempts: 3,
      correlationId: 'order-7',
      entity: { name: 'order', id: '7' },
      metadata: { source: 'checkout' },
      items: { total: 3, processed: 3, failed: 0 },
      cancelRequested: true,
      createdAt: '2026-11-23T10:00:00.000Z',
      runAt: '2026-11-23T10:01:00.000Z',
      startedAt: '2026-11-23T10:01:01.000Z',
      completedAt: '2026-11-23T10:01:02.000Z',
      durationMs: 1000,
      estimatedCompletionAt: '2026-11-23T10:01:02.000Z',
      version: 6,
    });
  });

  test('a false cancel flag is not shown; falsy contract values other than undefined are', () => {
    const view = toJobView({ ...base, cancelRequested: false, result: null, durationMs: 0, payload: '' });
    expect(view).not.toHaveProperty('cancelRequested');
    expect(view).toMatchObject({ result: null, durationMs: 0, payload: '' });
  });
});
