import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as z from 'zod';
import { JobFailure } from '../../../lambdas/jobs/job-failure';
import { defineJobType, type JobHandler, type JobTypeDefinition } from '../../../lambdas/jobs/job-type';
import { processJobMessage, type WorkerDependencies } from '../../../lambdas/worker/process-message';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { JobTableFake } from '../support/job-table-fake';
import { workerDependencies } from '../support/worker-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const budget = { remainingMs: () => 60_000 };

let handler: JobHandler<unknown>;
const testType = (overrides: Partial<JobTypeDefinition> = {}): JobTypeDefinition =>
  defineJobType({
    name: 'system.simulate',
    defaultPriority: 'normal',
    maxAttempts: 3,
    timeoutSeconds: 30,
    backoff: { baseSeconds: 2, maxSeconds: 60 },
    schema: z.record(z.string(), z.unknown()),
    load: async () => handler,
    ...overrides,
  });

const dependencies = (type: JobTypeDefinition | undefined = testType()): WorkerDependencies =>
  workerDependencies((name) => (type && name === type.name ? type : undefined), {
    leaseTiming: { leaseMs: 30_000, renewEveryMs: 50, minProgressIntervalMs: 0 },
  });

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  handler = async () => ({ ok: true });
});

describe('processJobMessage', () => {
  test('claims a queued job for attempt 1, runs it, and records completed with its result', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = async ({ payload, attempt, idempotencyKey }) => ({ payload, attempt, idempotencyKey });
    const outcome = await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget);
    expect(outcome).toBe('completed');
    expect(table.statuses).toEqual(['processing', 'completed']);
    expect(table.item).toMatchObject({
      status: 'completed',
      attempts: 1,
      result: { payload: { durationMs: 10 }, attempt: 1, idempotencyKey: `${JOB_ID}:1` },
    });
    const claim = table.updates[0];
    expect(claim?.ConditionExpression).toContain('#attempts = :expectedAttempts');
    expect(claim?.ExpressionAttributeValues?.[':expectedAttempts']).toBe(0);
  });

  test('a duplicate delivery of an attempt already running is dropped without running again', async () => {
    const table = new JobTableFake(dynamo, storedJob({ status: 'processing', attempts: 1 }));
    const run = jest.fn(async () => 'ran');
    handler = run;
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('stale');
    expect(run).not.toHaveBeenCalled();
    expect(table.updates).toHaveLength(0);
  });

  test('a message for a job that no longer exists is dropped', async () => {
    new JobTableFake(dynamo, undefined);
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('gone');
  });

  test('a cancelled job is never run', async () => {
    const run = jest.fn(async () => 'ran');
    handler = run;
    new JobTableFake(dynamo, storedJob({ status: 'cancelled' }));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('stale');
    expect(run).not.toHaveBeenCalled();
  });

  test('a retryable failure with attempts left records retrying with a backoff runAt', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = async () => {
      throw new Error('connection reset by /internal/path');
    };
    const before = Date.now();
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('retrying');
    expect(table.statuses).toEqual(['processing', 'retrying']);
    expect(table.item?.error).toMatchObject({ code: 'HANDLER_ERROR', retryable: true });
    const delay = Date.parse(String(table.item?.runAt)) - before;
    expect(delay).toBeGreaterThanOrEqual(2000);
    expect(delay).toBeLessThan(2000 * 1.25 + 1000);
  });

  test('a non-retryable failure fails the job at once, whatever attempts remain', async () => {
    const table = new JobTableFake(dynamo, storedJob({ maxAttempts: 5 }));
    handler = async () => {
      throw new JobFailure('CORRUPT_FILE', 'The file is not a PDF', { retryable: false });
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('failed');
    expect(table.item).toMatchObject({
      status: 'failed',
      error: { code: 'CORRUPT_FILE', message: 'The file is not a PDF', retryable: false },
    });
  });

  test('the last attempt failing ends the job failed, keeping the error', async () => {
    const table = new JobTableFake(
      dynamo,
      storedJob({ status: 'retrying', attempts: 2, runAt: new Date().toISOString() }),
    );
    handler = async () => {
      throw new Error('still broken');
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 3 }, dependencies(), budget)).toBe('failed');
    expect(table.statuses).toEqual(['processing', 'failed']);
    expect(table.item).toMatchObject({
      attempts: 3,
      error: { code: 'HANDLER_ERROR', message: 'still broken' },
    });
  });

  test('a handler that overruns its type timeout is aborted and recorded as TIMEOUT', async () => {
    const table = new JobTableFake(dynamo, storedJob({ maxAttempts: 1 }));
    let sawAbort = false;
    handler = ({ signal }) =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(signal.reason);
        }),
      );
    const outcome = await processJobMessage(
      { jobId: JOB_ID, attempt: 1 },
      dependencies(testType({ timeoutSeconds: 1 })),
      budget,
    );
    expect(outcome).toBe('failed');
    expect(sawAbort).toBe(true);
    expect(table.item?.error).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  test('a cancel requested while running aborts the handler and records cancelled', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = ({ signal }) => {
      // The API sets the flag while the job runs; the lease renewal sees it.
      if (table.item) table.item.cancelRequested = true;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('cancelled');
    expect(table.statuses).toEqual(['processing', 'cancelled']);
  });

  test('progress is written to the job while it runs, and completes at 100 %', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = async ({ progress }) => {
      await progress({ percent: 40, stage: 'parsing', message: 'page 2 of 5' });
      return 'done';
    };
    await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget);
    const progressWrite = table.updates.find(
      (update) => update.ExpressionAttributeNames?.['#f0'] === 'progress',
    );
    expect(progressWrite?.ExpressionAttributeValues?.[':f0']).toEqual({
      percent: 40,
      stage: 'parsing',
      message: 'page 2 of 5',
    });
    expect(table.item?.progress).toEqual({ percent: 100, stage: 'parsing', message: 'page 2 of 5' });
  });

  test('an unregistered job type fails without retrying', async () => {
    const table = new JobTableFake(dynamo, storedJob({ type: 'gone.type' }));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('failed');
    expect(table.item?.error).toMatchObject({ code: 'UNKNOWN_JOB_TYPE', retryable: false });
  });

  test('a delayed job that is not yet due is re-sent with the remaining delay, not run', async () => {
    const runAt = new Date(Date.now() + 3600_000).toISOString();
    const table = new JobTableFake(dynamo, storedJob({ status: 'delayed', runAt }));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const message = { jobId: JOB_ID, attempt: 1, runAt };
    expect(await processJobMessage(message, dependencies(), budget)).toBe('rescheduled');
    expect(table.updates).toHaveLength(0);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: 'https://sqs/normal',
      Entries: [expect.objectContaining({ MessageBody: JSON.stringify(message), DelaySeconds: 900 })],
    });
  });

  test('a due delayed job moves delayed → queued → processing', async () => {
    const table = new JobTableFake(dynamo, storedJob({ status: 'delayed', runAt: new Date().toISOString() }));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('completed');
    expect(table.statuses).toEqual(['queued', 'processing', 'completed']);
  });

  test('a lost lease (the sweep took the job) drops the attempt without recording an outcome', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = ({ signal }) => {
      if (table.item) Object.assign(table.item, { status: 'retrying', attempts: 1 });
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('lost');
    expect(table.statuses).toEqual(['processing']);
  });
});
