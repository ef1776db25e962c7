import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JobStore } from '../../../lambdas/core/job-store';
import { findJobType } from '../../../lambdas/jobs/registry';
import { sweepStalledJobs } from '../../../lambdas/worker/sweep-stalled-jobs';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-23T10:15:30.000Z');
const EXPIRED = '2026-11-23T10:15:00.000Z';
const deps = {
  store: new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'jobs-test'),
  findJobType,
  clock: () => NOW,
};

/** One expired lease in the first shard, for a job stored as `fields`. */
const stalled = (fields: Record<string, unknown>) => {
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'LEASE#0', ':now': NOW.toISOString() } })
    .resolves({ Items: [{ PK: `JOB#${JOB_ID}`, SK: 'JOB' }] });
  dynamo.on(GetCommand).resolves({
    Item: storedJob({
      status: 'processing',
      attempts: 1,
      leaseUntil: EXPIRED,
      startedAt: '2026-11-23T10:14:00.000Z',
      ...fields,
    }),
  });
  dynamo.on(UpdateCommand).callsFake((input) => ({ Attributes: storedJob({ status: 'x', ...input }) }));
};

/** The transition written: the status it moved to and the values it set. */
const written = () => {
  const input = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
  const names = input?.ExpressionAttributeNames ?? {};
  const values = input?.ExpressionAttributeValues ?? {};
  const set: Record<string, unknown> = {};
  for (const [placeholder, name] of Object.entries(names)) {
    const value = values[`:${placeholder.slice(1)}`];
    if (/^#s\d+$/.test(placeholder)) set[name] = value;
  }
  return { input, set, values };
};

beforeEach(() => dynamo.reset());

test('every lease shard is searched for leases that ran out before now', async () => {
  dynamo.on(QueryCommand).resolves({ Items: [] });
  await sweepStalledJobs(deps);
  const searched = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
  expect(searched.map((input) => input.ExpressionAttributeValues?.[':pk']).sort()).toEqual([
    'LEASE#0',
    'LEASE#1',
    'LEASE#2',
    'LEASE#3',
  ]);
  for (const input of searched) {
    expect(input.KeyConditionExpression).toBe('LEASEPK = :pk AND LEASESK < :now');
    expect(input.ExpressionAttributeValues?.[':now']).toBe(NOW.toISOString());
  }
});

test('an expired lease with attempts left is a lost attempt: retrying with WORKER_LOST after the backoff', async () => {
  stalled({ attempts: 1, maxAttempts: 3 });
  expect(await sweepStalledJobs(deps)).toEqual({ examined: 1, retried: 1, failed: 0, cancelled: 0 });
  const { input, set, values } = written();
  expect(set).toMatchObject({
    status: 'retrying',
    error: { code: 'WORKER_LOST', retryable: true },
  });
  // system.simulate backs off 2 s (plus up to 25 % jitter) after attempt 1.
  const waitMs = Date.parse(String(set.runAt)) - NOW.getTime();
  expect(waitMs).toBeGreaterThanOrEqual(2000);
  expect(waitMs).toBeLessThanOrEqual(2500);
  // Only this attempt and this very lease: a worker that renewed meanwhile keeps its job.
  expect(input?.ConditionExpression).toContain('#attempts = :expectedAttempts');
  expect(input?.ConditionExpression).toContain('#leaseUntil = :expectedLease');
  expect(values).toMatchObject({ ':expectedAttempts': 1, ':expectedLease': EXPIRED, ':from0': 'processing' });
});

test('on the last attempt the job fails with WORKER_LOST, not retryable, with its duration', async () => {
  stalled({ attempts: 3, maxAttempts: 3 });
  expect(await sweepStalledJobs(deps)).toMatchObject({ failed: 1, retried: 0 });
  expect(written().set).toMatchObject({
    status: 'failed',
    error: { code: 'WORKER_LOST', retryable: false },
    completedAt: NOW.toISOString(),
    durationMs: 90_000,
  });
});

test('a pending cancel is honoured: the job ends cancelled', async () => {
  stalled({ cancelRequested: true });
  expect(await sweepStalledJobs(deps)).toMatchObject({ cancelled: 1 });
  expect(written().set).toMatchObject({ status: 'cancelled', completedAt: NOW.toISOString() });
});

test.each([
  ['renewed its lease since the index was read', { leaseUntil: '2026-11-23T10:15:40.000Z' }, false],
  ['already finished', { status: 'completed' }, false],
  ['is gone', {}, true],
])('a job that %s is left alone', async (_case, fields, gone) => {
  stalled(fields);
  if (gone) dynamo.on(GetCommand).resolves({});
  expect(await sweepStalledJobs(deps)).toMatchObject({ examined: 1, retried: 0, failed: 0, cancelled: 0 });
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test('losing the race to the worker (condition failed) counts nothing', async () => {
  stalled({});
  dynamo.on(UpdateCommand).rejects(conditionFailed());
  expect(await sweepStalledJobs(deps)).toEqual({ examined: 1, retried: 0, failed: 0, cancelled: 0 });
});
