import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ClaimCheck } from '../../../lambdas/core/claim-check';
import type { JobRecord } from '../../../lambdas/core/job';
import { JobStore, toJobRecord } from '../../../lambdas/core/job-store';
import { findJobType } from '../../../lambdas/jobs/registry';
import {
  attemptOfMessage,
  cancellation,
  claimAttempt,
  completion,
  recordEnding,
  recordLostAttempt,
  retryOrFail,
  WORKER_LOST,
} from '../../../lambdas/worker/lifecycle';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';
import { decodeUpdate } from '../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-23T10:15:30.000Z');
const STARTED = '2026-11-23T10:14:00.000Z';
const EXPIRED = '2026-11-23T10:15:00.000Z';
const LIVE = '2026-11-23T10:15:45.500Z';
const simulate = findJobType('system.simulate');
const deps = {
  store: new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'jobs-test'),
  claimCheck: new ClaimCheck(new S3Client({ region: 'eu-west-1' }), 'files-test'),
};

const job = (fields: Record<string, unknown> = {}): JobRecord => toJobRecord(storedJob(fields));
const running = (fields: Record<string, unknown> = {}): JobRecord =>
  job({ status: 'processing', attempts: 1, startedAt: STARTED, leaseUntil: EXPIRED, ...fields });

/** Every UpdateItem sent, read back as names and values. */
const writes = () => dynamo.commandCalls(UpdateCommand).map((call) => decodeUpdate(call.args[0].input));

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).callsFake((input) => ({ Attributes: storedJob({ status: 'x', ...input }) }));
});

describe('which attempt a message is for', () => {
  test.each([
    ['queued', 0, 1, 'next'],
    ['delayed', 0, 1, 'next'],
    ['retrying', 1, 2, 'next'],
    ['queued', 0, 2, 'stale'],
    ['retrying', 1, 1, 'stale'],
    ['processing', 1, 1, 'running'],
    ['processing', 2, 1, 'stale'],
    ['processing', 1, 2, 'stale'],
    ['completed', 1, 1, 'stale'],
    ['failed', 1, 2, 'stale'],
    ['cancelled', 0, 1, 'stale'],
  ] as const)(
    'a %s job with %i attempts and a message for attempt %i: %s',
    (status, attempts, attempt, is) => {
      expect(attemptOfMessage(job({ status, attempts }), { jobId: JOB_ID, attempt })).toBe(is);
    },
  );
});

describe('the claim', () => {
  test('queued → processing: the attempt, startedAt and the lease on the item, on the same attempts count', async () => {
    const claimed = await claimAttempt(deps.store, job(), { jobId: JOB_ID, attempt: 1 }, NOW, 30_000);
    expect(claimed).toBeDefined();
    expect(writes()).toEqual([
      {
        set: {
          status: 'processing',
          updatedAt: NOW.toISOString(),
          attempts: 1,
          startedAt: NOW.toISOString(),
          leaseUntil: '2026-11-23T10:16:00.000Z',
        },
        // Back on the happy path: out of the sparse status index (a no-op if never in it).
        copied: {},
        remove: ['error', 'cancelRequested', 'runAt', 'GSI2PK', 'GSI2SK', 'expiresAt'],
        condition: 'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
        values: expect.objectContaining({ ':from0': 'queued', ':expectedAttempts': 0 }),
      },
    ]);
    // No lease index: nothing but the item's own lease.
    expect(JSON.stringify(writes())).not.toMatch(/LEASEPK|LEASESK/);
  });

  test('a due delayed job moves to queued first, then to processing', async () => {
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: storedJob({ status: 'queued' }) })
      .resolves({ Attributes: storedJob({ status: 'processing', attempts: 1 }) });
    const delayed = job({ status: 'delayed', runAt: EXPIRED });
    await claimAttempt(deps.store, delayed, { jobId: JOB_ID, attempt: 1 }, NOW, 30_000);
    expect(writes().map((write) => [write.set.status, write.values[':from0']])).toEqual([
      ['queued', 'delayed'],
      ['processing', 'queued'],
    ]);
    expect(writes()[0]?.remove).toContain('runAt');
  });

  test('a message that is not for the next attempt claims nothing', async () => {
    expect(
      await claimAttempt(deps.store, job({ attempts: 1 }), { jobId: JOB_ID, attempt: 1 }, NOW, 30_000),
    ).toBeUndefined();
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('losing the claim to another delivery (condition failed) claims nothing', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
    expect(await claimAttempt(deps.store, job(), { jobId: JOB_ID, attempt: 1 }, NOW, 30_000)).toBeUndefined();
  });
});

describe('the retry-or-fail decision', () => {
  const error = { code: 'HANDLER_ERROR', message: 'boom', retryable: true };

  test('a retryable error with attempts left retries after the type’s backoff', () => {
    const ending = retryOrFail(running({ attempts: 1, maxAttempts: 3 }), error, simulate, NOW);
    expect(ending).toEqual({ to: 'retrying', error, set: { runAt: expect.any(String) } });
    // system.simulate backs off 2 s after attempt 1, plus up to 25 % jitter.
    const waitMs = Date.parse(ending.set.runAt as string) - NOW.getTime();
    expect(waitMs).toBeGreaterThanOrEqual(2000);
    expect(waitMs).toBeLessThanOrEqual(2500);
  });

  test.each([
    ['a non-retryable error', { ...error, retryable: false }, { attempts: 1, maxAttempts: 3 }, simulate],
    ['the last attempt', error, { attempts: 3, maxAttempts: 3 }, simulate],
    ['an unknown type', error, { attempts: 1, maxAttempts: 3 }, undefined],
  ])('%s fails the job, with when it ended and how long it ran', (_case, given, fields, type) => {
    expect(retryOrFail(running(fields), given, type, NOW)).toEqual({
      to: 'failed',
      error: given,
      set: { completedAt: NOW.toISOString(), durationMs: 90_000 },
    });
  });
});

describe('terminal writes', () => {
  test('completion: result, completedAt, durationMs, progress at 100 %, and the retention TTL', async () => {
    const progress = { percent: 40, stage: 'render' };
    const ending = completion(running(), { ok: true }, NOW, progress);
    await recordEnding(deps, running(), ending, NOW);
    const [write] = writes();
    expect(write?.set).toMatchObject({
      status: 'completed',
      result: { ok: true },
      completedAt: NOW.toISOString(),
      durationMs: 90_000,
      progress: { percent: 100, stage: 'render' },
      expiresAt: expect.any(Number),
    });
    expect(write?.remove).toEqual(['GSI2PK', 'GSI2SK', 'leaseUntil', 'cancelRequested']);
    expect(write?.condition).toBe(
      'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
    );
    expect(write?.values).toMatchObject({ ':from0': 'processing', ':expectedAttempts': 1 });
  });

  test('a cancel ending keeps the progress reached and says when and after how long', async () => {
    await recordEnding(deps, running(), cancellation(running(), NOW, { percent: 40 }), NOW);
    expect(writes()[0]?.set).toMatchObject({
      status: 'cancelled',
      completedAt: NOW.toISOString(),
      durationMs: 90_000,
      progress: { percent: 40 },
    });
  });

  test('a job without startedAt ends with durationMs 0, never a negative or missing one', () => {
    expect(cancellation(running({ startedAt: undefined }), NOW).set).toEqual({
      completedAt: NOW.toISOString(),
      durationMs: 0,
    });
  });
});

describe('a lost attempt (its message came back)', () => {
  test('with attempts left: retrying with WORKER_LOST after the backoff, on that very lease', async () => {
    const result = await recordLostAttempt(deps, running({ maxAttempts: 3 }), simulate, NOW);
    expect(result).toMatchObject({ recorded: true, ending: { to: 'retrying' } });
    const [write] = writes();
    expect(write?.set).toMatchObject({ status: 'retrying', error: WORKER_LOST, runAt: expect.any(String) });
    expect(write?.set).not.toHaveProperty('completedAt');
    expect(write?.remove).toEqual(['expiresAt', 'leaseUntil']);
    expect(write?.condition).toBe(
      'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts AND #leaseUntil = :expectedLease',
    );
    expect(write?.values).toMatchObject({
      ':from0': 'processing',
      ':expectedAttempts': 1,
      ':expectedLease': EXPIRED,
    });
  });

  test('on the last attempt: failed with WORKER_LOST, not retryable, with its duration', async () => {
    await recordLostAttempt(deps, running({ attempts: 3, maxAttempts: 3 }), simulate, NOW);
    expect(writes()[0]?.set).toMatchObject({
      status: 'failed',
      error: { ...WORKER_LOST, retryable: false },
      completedAt: NOW.toISOString(),
      durationMs: 90_000,
    });
  });

  test('a pending cancel is honoured: cancelled, with when and after how long', async () => {
    await recordLostAttempt(deps, running({ cancelRequested: true }), simulate, NOW);
    const [write] = writes();
    expect(write?.set).toMatchObject({
      status: 'cancelled',
      completedAt: NOW.toISOString(),
      durationMs: 90_000,
    });
    expect(write?.set).not.toHaveProperty('error');
  });

  test('a live lease (its holder runs) is left alone: nothing written, the time it has left', async () => {
    expect(await recordLostAttempt(deps, running({ leaseUntil: LIVE }), simulate, NOW)).toEqual({
      recorded: false,
      leaseLeftMs: 15_500,
    });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('losing the race to a holder that renewed: not recorded, and the renewed lease’s time left', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo
      .on(GetCommand)
      .resolves({ Item: storedJob({ status: 'processing', attempts: 1, leaseUntil: LIVE }) });
    expect(await recordLostAttempt(deps, running(), simulate, NOW)).toEqual({
      recorded: false,
      leaseLeftMs: 15_500,
    });
  });

  test('losing the race to the attempt’s end: nothing left to keep', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'completed', attempts: 1 }) });
    expect(await recordLostAttempt(deps, running(), simulate, NOW)).toEqual({ recorded: false });
  });
});
