import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as z from 'zod';
import { JobPostponed, MAX_POSTPONE_SECONDS } from '../../../lambdas/jobs/job-failure';
import { defineJobType, type JobHandler } from '../../../lambdas/jobs/job-type';
import { attemptOfMessage, postponement } from '../../../lambdas/worker/lifecycle';
import { processJobMessage } from '../../../lambdas/worker/process-message';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { JobTableFake } from '../support/job-table-fake';
import { decodeUpdate } from '../support/update-expression';
import { workerDependencies } from '../support/worker-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const budget = { remainingMs: () => 60_000 };

let handler: JobHandler<unknown>;
const type = defineJobType({
  name: 'ai.complete',
  defaultPriority: 'normal',
  maxAttempts: 3,
  timeoutSeconds: 30,
  backoff: { baseSeconds: 2, maxSeconds: 60 },
  schema: z.record(z.string(), z.unknown()),
  load: async () => handler,
});
const dependencies = () =>
  workerDependencies((name) => (name === type.name ? type : undefined), {
    leaseTiming: { leaseMs: 30_000, renewEveryMs: 50, minProgressIntervalMs: 0 },
  });
const rateLimited = (seconds: number) => {
  handler = async () => {
    throw new JobPostponed('AI_RATE_LIMITED', 'The AI provider asked to wait', seconds);
  };
};

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

describe('a postponed attempt (JobPostponed)', () => {
  test('records retrying at now + Retry-After with the attempt given back, in the one ending write', async () => {
    const table = new JobTableFake(dynamo, storedJob({ type: 'ai.complete' }));
    rateLimited(7);
    const before = Date.now();
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('retrying');
    expect(table.statuses).toEqual(['processing', 'retrying']);
    expect(table.item).toMatchObject({
      status: 'retrying',
      attempts: 0,
      error: { code: 'AI_RATE_LIMITED', retryable: true },
    });
    const delay = Date.parse(String(table.item?.runAt)) - before;
    expect(delay).toBeGreaterThanOrEqual(7000);
    expect(delay).toBeLessThan(8000);
    // The ending is conditional on this very attempt, like every ending.
    const ending = decodeUpdate(table.updates[1]);
    expect(ending.condition).toContain('#attempts = :expectedAttempts');
    expect(ending.values).toMatchObject({ ':expectedAttempts': 1 });
    expect(table.updates).toHaveLength(2);
  });

  test('the next message carries the same attempt number and claims the job again', async () => {
    const table = new JobTableFake(dynamo, storedJob({ type: 'ai.complete' }));
    rateLimited(1);
    await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget);
    Object.assign(table.item ?? {}, { runAt: new Date(Date.now() - 1).toISOString() });
    handler = async () => ({ content: 'ok' });
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('completed');
    expect(table.item).toMatchObject({ status: 'completed', attempts: 1 });
  });

  test('never fails the job, even on its last attempt', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({ type: 'ai.complete', status: 'retrying', attempts: 2, runAt: new Date().toISOString() }),
    );
    rateLimited(3);
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 3 }, dependencies(), budget)).toBe('retrying');
    expect(table.item).toMatchObject({ status: 'retrying', attempts: 2 });
  });

  test('a message of the postponed attempt that comes back before the new runAt is stale', async () => {
    const table = new JobTableFake(dynamo, storedJob({ type: 'ai.complete' }));
    rateLimited(60);
    await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget);
    handler = jest.fn(async () => ({}));
    // The original message (no runAt) is redelivered: only the dispatcher's, for this runAt, runs.
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('stale');
    expect(handler).not.toHaveBeenCalled();
    expect(table.item?.status).toBe('retrying');
  });

  test('Retry-After is bounded to 1…3600 seconds', () => {
    expect(new JobPostponed('X', 'x', 0).retryAfterSeconds).toBe(1);
    expect(new JobPostponed('X', 'x', 1e9).retryAfterSeconds).toBe(MAX_POSTPONE_SECONDS);
    expect(new JobPostponed('X', 'x', Number.NaN).retryAfterSeconds).toBe(1);
    expect(new JobPostponed('X', 'x', 2.2).retryAfterSeconds).toBe(3);
  });

  test('postponement() keeps attempts at zero or more and the message of the same attempt is next', () => {
    const now = new Date('2026-11-30T00:00:00.000Z');
    const job = { ...storedJob({ status: 'processing', attempts: 1 }) } as never;
    const ending = postponement(job, { code: 'AI_RATE_LIMITED', message: 'x', retryable: false }, 5, now);
    expect(ending).toEqual({
      to: 'retrying',
      error: { code: 'AI_RATE_LIMITED', message: 'x', retryable: true },
      set: { runAt: '2026-11-30T00:00:05.000Z', attempts: 0 },
    });
    const waiting = { ...storedJob({ status: 'retrying', attempts: 0 }) } as never;
    expect(attemptOfMessage(waiting, { jobId: JOB_ID, attempt: 1 })).toBe('next');
  });
});

describe('a rate-limited type', () => {
  test('loads its handler before its start is admitted, so a cold start does not delay an admitted request', async () => {
    new JobTableFake(dynamo, storedJob({ type: 'ai.complete' }));
    const order: string[] = [];
    const limited = {
      ...type,
      load: async () => {
        order.push('load');
        return async () => ({});
      },
    };
    const deps = workerDependencies((name) => (name === limited.name ? limited : undefined), {
      leaseTiming: { leaseMs: 30_000, renewEveryMs: 50, minProgressIntervalMs: 0 },
      isRateLimited: () => true,
      admit: async () => {
        order.push('admit');
        return true;
      },
    });
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, deps, budget)).toBe('completed');
    expect(order.slice(0, 2)).toEqual(['load', 'admit']);
  });

  test('a handler that cannot load is not admitted early: its failure is recorded by the run', async () => {
    const table = new JobTableFake(dynamo, storedJob({ type: 'ai.complete' }));
    const broken = { ...type, load: async () => Promise.reject(new Error('Invalid configuration')) };
    const deps = workerDependencies((name) => (name === broken.name ? broken : undefined), {
      leaseTiming: { leaseMs: 30_000, renewEveryMs: 50, minProgressIntervalMs: 0 },
      isRateLimited: () => true,
      admit: async () => true,
    });
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, deps, budget)).toBe('retrying');
    expect(table.item?.error).toMatchObject({ code: 'HANDLER_ERROR', message: 'Invalid configuration' });
  });
});
