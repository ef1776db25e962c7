import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { JobRecord } from '../../../lambdas/core/job';
import { JOB_STATUSES, type JobStatus, TRANSITIONS } from '../../../lambdas/core/job-status';
import { isDispatchedChange, isDispatchedRecord } from '../../../lambdas/stream/dispatch-rule';
import { addToStats, emptyStatsDelta, messageFor } from '../../../lambdas/stream/plan-dispatch';

const T0 = '2026-11-23T10:00:00.000Z';
const job = (status: JobStatus): JobRecord => ({
  jobId: '01JD0000000000000000000000',
  userId: 'user-1',
  type: 'system.simulate',
  status,
  priority: 'high',
  priorityValue: 10,
  payload: {},
  attempts: 1,
  maxAttempts: 3,
  createdAt: T0,
  updatedAt: T0,
  events: [],
  version: 2,
  durationMs: 10,
});

const EVENTS = ['INSERT', 'MODIFY', 'REMOVE'] as const;
/** Every (event, old status, new status), "none" for an absent image. */
const everyChange = EVENTS.flatMap((eventName) =>
  [undefined, ...JOB_STATUSES].flatMap((from) =>
    [undefined, ...JOB_STATUSES].map((to) => ({ eventName, from, to })),
  ),
);

describe('what the dispatcher acts on', () => {
  test('every new job', () => {
    for (const status of JOB_STATUSES) expect(isDispatchedChange('INSERT', undefined, status)).toBe(true);
  });

  test.each([
    ['failed', 'queued', 'the retry route'],
    ['cancelled', 'queued', 'the retry route'],
    ['processing', 'retrying', 'the next attempt'],
    ['processing', 'completed', 'the completed counter'],
    ['processing', 'failed', 'the failed counter'],
    ['retrying', 'failed', 'the failed counter'],
    ['processing', 'cancelled', 'the cancelled counter'],
    ['queued', 'cancelled', 'the cancelled counter'],
    ['delayed', 'cancelled', 'the cancelled counter'],
    ['retrying', 'cancelled', 'the cancelled counter'],
  ])('%s → %s (%s)', (from, to) => {
    expect(isDispatchedChange('MODIFY', from, to)).toBe(true);
  });

  test.each([
    ['queued', 'processing', 'a claim'],
    ['retrying', 'processing', 'a claim of a retry'],
    ['processing', 'processing', 'a progress write or a cancel request'],
    ['delayed', 'queued', 'the worker claiming a due delayed job with its message'],
    ['queued', 'queued', 'a waiting job re-sent by the sweep'],
    ['completed', 'completed', 'a flag on a finished job'],
    ['failed', 'failed', 'a flag on a finished job'],
  ])('not %s → %s (%s)', (from, to) => {
    expect(isDispatchedChange('MODIFY', from, to)).toBe(false);
  });

  test('no MODIFY without an old status (the filters cannot match one)', () => {
    expect(isDispatchedChange('MODIFY', undefined, 'queued')).toBe(false);
    expect(isDispatchedChange('MODIFY', undefined, 'completed')).toBe(false);
  });

  test('no removal', () => {
    for (const status of JOB_STATUSES) expect(isDispatchedChange('REMOVE', status, undefined)).toBe(false);
  });

  test('every allowed transition the rule drops needs neither a message nor a count', () => {
    const dropped = JOB_STATUSES.flatMap((from) =>
      TRANSITIONS[from].filter((to) => !isDispatchedChange('MODIFY', from, to)).map((to) => `${from}→${to}`),
    );
    expect(dropped.sort()).toEqual(['delayed→queued', 'queued→processing', 'retrying→processing']);
  });

  test('whatever the rule drops, messageFor and addToStats leave alone (every event × old × new status)', () => {
    const acted: string[] = [];
    for (const { eventName, from, to } of everyChange) {
      if (isDispatchedChange(eventName, from, to)) continue;
      const change = {
        eventName,
        ...(from ? { oldJob: job(from) } : {}),
        ...(to ? { newJob: job(to) } : {}),
      };
      const delta = emptyStatsDelta();
      addToStats(delta, change);
      if (delta.counters.size > 0 || messageFor(change)) acted.push(`${eventName} ${from}→${to}`);
    }
    expect(acted).toEqual([]);
    expect(everyChange).toHaveLength(3 * 8 * 8);
  });
});

describe('the raw stream record', () => {
  const record = (
    eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
    images: { oldImage?: Record<string, unknown>; newImage?: Record<string, unknown> },
  ): DynamoDBRecord => ({
    eventName,
    dynamodb: {
      ...(images.oldImage ? { OldImage: marshall(images.oldImage) as never } : {}),
      ...(images.newImage ? { NewImage: marshall(images.newImage) as never } : {}),
    },
  });
  const item = (status: string, SK = 'JOB') => ({ PK: 'JOB#j', SK, status });

  test('reads the statuses of a job item’s images', () => {
    expect(isDispatchedRecord(record('INSERT', { newImage: item('queued') }))).toBe(true);
    expect(
      isDispatchedRecord(record('MODIFY', { oldImage: item('processing'), newImage: item('completed') })),
    ).toBe(true);
    expect(isDispatchedRecord(record('MODIFY', { oldImage: item('failed'), newImage: item('queued') }))).toBe(
      true,
    );
    expect(
      isDispatchedRecord(record('MODIFY', { oldImage: item('queued'), newImage: item('processing') })),
    ).toBe(false);
    expect(isDispatchedRecord(record('REMOVE', { oldImage: item('completed') }))).toBe(false);
  });

  test('only job items: never counters, connections or job sub-items', () => {
    expect(isDispatchedRecord(record('INSERT', { newImage: item('queued', 'ITEM#000001') }))).toBe(false);
    expect(isDispatchedRecord(record('INSERT', { newImage: { PK: 'CONN#c', SK: 'CONN' } }))).toBe(false);
    expect(
      isDispatchedRecord(
        record('MODIFY', { oldImage: item('processing', 'STATUS'), newImage: item('completed', 'STATUS') }),
      ),
    ).toBe(false);
  });
});
