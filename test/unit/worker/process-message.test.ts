import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as z from 'zod';
import { JobFailure } from '../../../lambdas/jobs/job-failure';
import { defineJobType, type JobHandler, type JobTypeDefinition } from '../../../lambdas/jobs/job-type';
import { WORKER_LOST } from '../../../lambdas/worker/lifecycle';
import { processJobMessage, type WorkerDependencies } from '../../../lambdas/worker/process-message';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { JobTableFake } from '../support/job-table-fake';
import { decodeUpdate } from '../support/update-expression';
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

  describe('a message naming its job type: the claim without a read', () => {
    const typed = { jobId: JOB_ID, attempt: 1, type: 'system.simulate' };
    const reads = () => dynamo.commandCalls(GetCommand).length;

    test('a queued job is claimed with one conditional write and no read: claim and completion, nothing else', async () => {
      const table = new JobTableFake(dynamo, storedJob());
      expect(await processJobMessage(typed, dependencies(), budget)).toBe('completed');
      expect(reads()).toBe(0);
      expect(table.statuses).toEqual(['processing', 'completed']);
      const claim = decodeUpdate(table.updates[0]);
      expect(claim.condition).toBe(
        'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
      );
      expect(claim.values).toMatchObject({ ':from0': 'queued', ':expectedAttempts': 0 });
      expect(claim.set).toMatchObject({ status: 'processing', attempts: 1 });
    });

    test('a job that is not plain queued fails the write and is decided on as read back: a running one with a live lease is held', async () => {
      const leaseUntil = new Date(Date.now() + 5_000).toISOString();
      const table = new JobTableFake(dynamo, storedJob({ status: 'processing', attempts: 1, leaseUntil }));
      const putBack = jest.fn(async (_seconds: number) => {});
      expect(await processJobMessage(typed, dependencies(), { ...budget, putBack })).toBe('held');
      expect(table.updates).toHaveLength(0);
      expect(reads()).toBe(1);
      expect(putBack).toHaveBeenCalledTimes(1);
    });

    test('a job that is gone answers gone after the failed write', async () => {
      new JobTableFake(dynamo, undefined);
      expect(await processJobMessage(typed, dependencies(), budget)).toBe('gone');
    });

    describe('a message the API sent at submit, before it saved the job', () => {
      const sentAt = (ageMs: number) => new Date(Date.now() - ageMs).toISOString();

      test('the job saved a moment later is found on a read after the failed claim, claimed and run', async () => {
        const table = new JobTableFake(dynamo, undefined);
        // The save lands while the worker waits for it.
        setTimeout(() => {
          table.item = storedJob();
        }, 100);
        const outcome = await processJobMessage({ ...typed, sentAt: sentAt(0) }, dependencies(), budget);
        expect(outcome).toBe('completed');
        expect(table.statuses).toEqual(['processing', 'completed']);
      });

      test('not saved within about a second: put back until the API that sent it is surely done, nothing written', async () => {
        const table = new JobTableFake(dynamo, undefined);
        const putBack = jest.fn(async (_seconds: number) => {});
        const outcome = await processJobMessage({ ...typed, sentAt: sentAt(5_000) }, dependencies(), {
          ...budget,
          putBack,
        });
        expect(outcome).toBe('held');
        expect(table.updates).toHaveLength(0);
        // 60 s after it was sent, less the 5 s it is old and the second spent reading.
        const seconds = putBack.mock.calls[0]?.[0] ?? 0;
        expect(seconds).toBeGreaterThanOrEqual(53);
        expect(seconds).toBeLessThanOrEqual(55);
      });

      test('older than the API could still be saving it: the job will never exist, the message is dropped', async () => {
        new JobTableFake(dynamo, undefined);
        const putBack = jest.fn(async (_seconds: number) => {});
        const outcome = await processJobMessage({ ...typed, sentAt: sentAt(61_000) }, dependencies(), {
          ...budget,
          putBack,
        });
        expect(outcome).toBe('gone');
        expect(putBack).not.toHaveBeenCalled();
        // Dropped at once: only the store's read-back of the failed claim, no waiting reads.
        expect(reads()).toBe(1);
      });

      test('with no way to put it back, the message fails (it returns) rather than being dropped', async () => {
        new JobTableFake(dynamo, undefined);
        await expect(
          processJobMessage({ ...typed, sentAt: sentAt(0) }, dependencies(), budget),
        ).rejects.toThrow('not saved yet');
      });
    });

    test.each([
      ['a rate-limited type', { isRateLimited: () => true }, typed],
      ['a message with a runAt', {}, { ...typed, runAt: new Date(Date.now() - 1000).toISOString() }],
      ['an unknown type', {}, { ...typed, type: 'no.such' }],
      ['no type (an older message)', {}, { jobId: JOB_ID, attempt: 1 }],
    ] as const)('%s reads the job first', async (_case, options, message) => {
      const table = new JobTableFake(dynamo, storedJob());
      const deps = dependencies(testType());
      const withOptions =
        'isRateLimited' in options ? { ...deps, isRateLimited: options.isRateLimited } : deps;
      await processJobMessage(message, withOptions, budget);
      expect(reads()).toBeGreaterThanOrEqual(1);
      expect(table.statuses[0]).toBe('processing');
    });
  });

  test('a job claimed without a read whose payload may end the process runs only once the batch lets it', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    let release: () => void = () => undefined;
    const runAlone = jest.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const run = jest.fn(async () => ({ ok: true }));
    handler = run;
    const deps = { ...dependencies(testType({ mayEndProcess: () => true })), runAlone };
    const outcome = processJobMessage({ jobId: JOB_ID, attempt: 1, type: 'system.simulate' }, deps, budget);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(table.statuses).toEqual(['processing']);
    expect(run).not.toHaveBeenCalled();
    release();
    expect(await outcome).toBe('completed');
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('the message of a running attempt whose lease is live is put back until the lease ends, nothing written', async () => {
    const leaseUntil = new Date(Date.now() + 12_300).toISOString();
    const table = new JobTableFake(dynamo, storedJob({ status: 'processing', attempts: 1, leaseUntil }));
    const run = jest.fn(async () => 'ran');
    handler = run;
    const putBack = jest.fn(async (_seconds: number) => {});
    expect(
      await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), { ...budget, putBack }),
    ).toBe('held');
    expect(run).not.toHaveBeenCalled();
    expect(table.updates).toHaveLength(0);
    // 12.3 s left, rounded up, and a second so the lease has surely ended when it is back.
    expect(putBack.mock.calls).toEqual([[14]]);
  });

  test('the message of a running attempt whose lease ran out records the lost attempt, conditional on that lease', async () => {
    const leaseUntil = new Date(Date.now() - 1000).toISOString();
    const table = new JobTableFake(
      dynamo,
      storedJob({ status: 'processing', attempts: 1, leaseUntil, startedAt: leaseUntil }),
    );
    const run = jest.fn(async () => 'ran');
    handler = run;
    const putBack = jest.fn(async (_seconds: number) => {});
    expect(
      await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), { ...budget, putBack }),
    ).toBe('recovered');
    expect(run).not.toHaveBeenCalled();
    expect(putBack).not.toHaveBeenCalled();
    expect(table.updates).toHaveLength(1);
    const write = decodeUpdate(table.updates[0]);
    expect(write.set).toMatchObject({ status: 'retrying', error: WORKER_LOST });
    expect(write.condition).toBe(
      'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts AND #leaseUntil = :expectedLease',
    );
    expect(write.values).toMatchObject({
      ':from0': 'processing',
      ':expectedAttempts': 1,
      ':expectedLease': leaseUntil,
    });
  });

  test('a message of an attempt long over is dropped without a write', async () => {
    const table = new JobTableFake(dynamo, storedJob({ status: 'processing', attempts: 2 }));
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

  test("the handler learns its deadline: the type's timeout, or earlier the function's own less 10 s", async () => {
    new JobTableFake(dynamo, storedJob());
    const seen: (number | undefined)[] = [];
    handler = async ({ deadlineAt }) => {
      seen.push(deadlineAt);
      return {};
    };
    const before = Date.now();
    await processJobMessage(
      { jobId: JOB_ID, attempt: 1 },
      dependencies(testType({ timeoutSeconds: 30 })),
      budget,
    );
    new JobTableFake(dynamo, storedJob());
    await processJobMessage(
      { jobId: JOB_ID, attempt: 1 },
      dependencies(testType({ timeoutSeconds: 300 })),
      budget,
    );
    const after = Date.now();
    expect(seen[0]).toBeGreaterThanOrEqual(before + 30_000);
    expect(seen[0]).toBeLessThanOrEqual(after + 30_000);
    // 60 s left in the function (budget): 50 s after the 10 s kept to record the outcome.
    expect(seen[1]).toBeGreaterThanOrEqual(before + 50_000);
    expect(seen[1]).toBeLessThanOrEqual(after + 50_000);
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

  test('a 10 ms job writes only its claim and its completion, which carries its progress', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = async ({ progress }) => {
      await progress({ percent: 50, stage: 'half' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      await progress({ percent: 90, stage: 'almost' });
      return 'done';
    };
    // The worker's own timing: progress coalesced for 500 ms from the claim on.
    const deps = workerDependencies((name) => (name === 'system.simulate' ? testType() : undefined));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, deps, budget)).toBe('completed');
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(2);
    const [claim, completion] = table.updates.map(decodeUpdate);
    expect(claim?.set).toMatchObject({ status: 'processing', attempts: 1 });
    expect(claim?.set).not.toHaveProperty('progress');
    expect(completion?.set).toMatchObject({
      status: 'completed',
      result: 'done',
      progress: { percent: 100, stage: 'almost' },
    });
  });

  test('a longer job’s progress is written after the claim (processing before progress), coalesced', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = async ({ progress }) => {
      await progress({ percent: 10 });
      await new Promise((resolve) => setTimeout(resolve, 700));
      await progress({ percent: 60 });
      await progress({ percent: 70 });
      return 'done';
    };
    const deps = workerDependencies((name) => (name === 'system.simulate' ? testType() : undefined));
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, deps, budget)).toBe('completed');
    const written = table.updates.map(decodeUpdate);
    // The claim; 10 % at 500 ms; 60 % and 70 % coalesced into the completion (< 500 ms after).
    expect(written.map((write) => write.set.status ?? write.set.progress)).toEqual([
      'processing',
      { percent: 10 },
      'completed',
    ]);
    expect(written[2]?.set.progress).toEqual({ percent: 100 });
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

  test('a lost lease (its redelivered message recorded the attempt as lost) drops the attempt without recording an outcome', async () => {
    const table = new JobTableFake(dynamo, storedJob());
    handler = ({ signal }) => {
      if (table.item) Object.assign(table.item, { status: 'retrying', attempts: 1 });
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    expect(await processJobMessage({ jobId: JOB_ID, attempt: 1 }, dependencies(), budget)).toBe('lost');
    expect(table.statuses).toEqual(['processing']);
  });
});
