import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { JobQueueClient } from '../../../lambdas/core/job-queue-client';
import { StatsStore } from '../../../lambdas/core/stats-store';
import { VersionStore } from '../../../lambdas/core/version-store';
import { dispatchBatch } from '../../../lambdas/stream/dispatch-batch';
import { storedJob } from '../support/api-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const NOW = new Date('2026-11-23T10:15:30.000Z');
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const deps = {
  queue: new JobQueueClient(
    new SQSClient({ region: 'eu-west-1' }),
    { critical: 'q-critical', high: 'q-high', normal: 'q-normal', low: 'q-low' },
    () => NOW,
  ),
  stats: new StatsStore(documentClient, 'jobs-test'),
  versions: new VersionStore(documentClient, 'jobs-test'),
};

/** A stream INSERT of a new job, as the table stream delivers it. */
const inserted = (sequence: string, fields: Record<string, unknown> = {}): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: sequence,
    NewImage: marshall(
      storedJob({ jobId: `01JD00000000000000000000${sequence.padStart(2, '0')}`, ...fields }),
      {
        removeUndefinedValues: true,
      },
    ) as never,
  },
});

/** The messages sent, per queue, parsed. */
const sent = () =>
  sqs.commandCalls(SendMessageBatchCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      queue: call.args[0].input.QueueUrl,
      body: JSON.parse(entry.MessageBody ?? '{}'),
      delaySeconds: entry.DelaySeconds,
    })),
  );

/** The `submitted` counts added to user-1's counters of one type and priority, per update. */
const submittedCounts = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter(
      (input) =>
        String(input.Key?.PK).startsWith('STATS#') && String(input.Key?.SK).startsWith('USER#user-1#'),
    )
    .map((input) => {
      const names = input.ExpressionAttributeNames ?? {};
      const placeholder = Object.keys(names).find((name) => names[name] === 'submitted');
      return input.ExpressionAttributeValues?.[`:${placeholder?.slice(1)}`];
    });

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  dynamo.on(UpdateCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
});

test('new jobs become one SendMessageBatch per queue, for attempt 1', async () => {
  const result = await dispatchBatch(
    [inserted('1'), inserted('2'), inserted('3', { priority: 'critical', priorityValue: 20 })],
    deps,
  );
  expect(result).toEqual({ batchItemFailures: [] });
  expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  expect(sent()).toEqual([
    {
      queue: 'q-normal',
      body: { jobId: '01JD0000000000000000000001', attempt: 1, type: 'system.simulate' },
      delaySeconds: 0,
    },
    {
      queue: 'q-normal',
      body: { jobId: '01JD0000000000000000000002', attempt: 1, type: 'system.simulate' },
      delaySeconds: 0,
    },
    {
      queue: 'q-critical',
      body: { jobId: '01JD0000000000000000000003', attempt: 1, type: 'system.simulate' },
      delaySeconds: 0,
    },
  ]);
});

test('a delayed job is sent with the delay until its runAt (SQS holds it up to 15 min)', async () => {
  await dispatchBatch([inserted('1', { status: 'delayed', runAt: '2026-11-23T10:17:30.000Z' })], deps);
  expect(sent()[0]).toMatchObject({ delaySeconds: 120, body: { runAt: '2026-11-23T10:17:30.000Z' } });
});

test('statistics are one counter update per type and priority per batch, not one per job', async () => {
  await dispatchBatch([inserted('1'), inserted('2'), inserted('3')], deps);
  expect(submittedCounts()).toEqual([3]);
});

test('a refused message fails its record: Lambda retries from it, nothing after it is counted', async () => {
  sqs.on(SendMessageBatchCommand).resolves({
    Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
  });
  const result = await dispatchBatch([inserted('1'), inserted('2'), inserted('3')], deps);
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
  // Only record 1 is counted; 2 and 3 are counted when the retry succeeds.
  expect(submittedCounts()).toEqual([1]);
});

test("a superseding job's version is recorded before its message is sent", async () => {
  const order: string[] = [];
  dynamo.on(UpdateCommand).callsFake((input) => {
    if (String(input.Key?.PK).startsWith('ENTITY#')) order.push(`version ${input.Key?.PK}`);
    return {};
  });
  sqs.on(SendMessageBatchCommand).callsFake(() => {
    order.push('send');
    return { Failed: [] };
  });
  await dispatchBatch(
    [inserted('1', { type: 'data.sync', supersedes: { key: 'user-1#order#42', version: 7 } })],
    deps,
  );
  expect(order).toEqual(['version ENTITY#user-1#order#42', 'send']);
});

test('a change that needs no message (processing → completed) sends nothing', async () => {
  const record: DynamoDBRecord = {
    eventName: 'MODIFY',
    dynamodb: {
      SequenceNumber: '9',
      OldImage: marshall(storedJob({ status: 'processing', attempts: 1 })) as never,
      NewImage: marshall(storedJob({ status: 'completed', attempts: 1 })) as never,
    },
  };
  expect(await dispatchBatch([record], deps)).toEqual({ batchItemFailures: [] });
  expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
});

/** A stream MODIFY of a job from `before` to `after`. */
const modified = (
  sequence: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): DynamoDBRecord => ({
  eventName: 'MODIFY',
  dynamodb: {
    SequenceNumber: sequence,
    OldImage: marshall(storedJob(before), { removeUndefinedValues: true }) as never,
    NewImage: marshall(storedJob(after), { removeUndefinedValues: true }) as never,
  },
});

describe('statistics writes', () => {
  const counterUpdate = (SK: string, counters: Record<string, number>) => ({
    TableName: 'jobs-test',
    Key: { PK: 'STATS#2026-11-23', SK },
    UpdateExpression: `SET #day = :day, #scope = :scope, #type = :type, #priority = :priority ADD ${Object.keys(
      counters,
    )
      .map((_, index) => `#c${index} :c${index}`)
      .join(', ')}`,
    ExpressionAttributeNames: {
      ...Object.fromEntries(Object.keys(counters).map((name, index) => [`#c${index}`, name])),
      '#day': 'day',
      '#scope': 'scope',
      '#type': 'type',
      '#priority': 'priority',
    },
    ExpressionAttributeValues: {
      ':day': '2026-11-23',
      ':scope': 'USER#user-1',
      ':type': 'system.simulate',
      ':priority': 'normal',
      ...Object.fromEntries(Object.values(counters).map((value, index) => [`:c${index}`, value])),
    },
  });
  const updates = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);

  test('a job submitted alone costs two counter writes in all: its submit and its end', async () => {
    const queued = {
      status: 'queued',
      createdAt: '2026-11-23T10:00:00.000Z',
      updatedAt: '2026-11-23T10:00:00.000Z',
    };
    const running = { ...queued, status: 'processing', attempts: 1, updatedAt: '2026-11-23T10:00:01.000Z' };
    const done = { ...running, status: 'completed', durationMs: 40, updatedAt: '2026-11-23T10:00:02.000Z' };
    // One stream batch per change, as a job submitted alone gets them.
    await dispatchBatch([inserted('1', queued)], deps);
    await dispatchBatch([modified('2', queued, running)], deps);
    await dispatchBatch([modified('3', running, { ...running, progress: { percent: 50 } })], deps);
    await dispatchBatch([modified('4', running, done)], deps);
    expect(updates()).toEqual([
      counterUpdate('USER#user-1#system.simulate#normal', { submitted: 1 }),
      counterUpdate('USER#user-1#system.simulate#normal', {
        completed: 1,
        totalDurationMs: 40,
        durationCount: 1,
      }),
    ]);
  });

  test('a batch of 100 new jobs of one user, type and priority is one counter write', async () => {
    await dispatchBatch(
      Array.from({ length: 100 }, (_, index) => inserted(String(index + 1))),
      deps,
    );
    expect(updates()).toEqual([counterUpdate('USER#user-1#system.simulate#normal', { submitted: 100 })]);
  });

  test('ends of several users in one batch are one write per user, no status gauge', async () => {
    const running = { status: 'processing', attempts: 1 };
    await dispatchBatch(
      [
        modified('1', running, { ...running, status: 'failed', durationMs: 5 }),
        modified('2', running, { ...running, status: 'failed', durationMs: 7 }),
        modified(
          '3',
          { ...running, userId: 'user-2' },
          { ...running, userId: 'user-2', status: 'cancelled' },
        ),
      ],
      deps,
    );
    expect(updates().map((input) => [input.Key, input.ExpressionAttributeValues])).toEqual([
      [
        { PK: 'STATS#2026-11-23', SK: 'USER#user-1#system.simulate#normal' },
        expect.objectContaining({ ':c0': 2, ':c1': 12, ':c2': 2 }),
      ],
      [
        { PK: 'STATS#2026-11-23', SK: 'USER#user-2#system.simulate#normal' },
        expect.objectContaining({ ':scope': 'USER#user-2', ':c0': 1 }),
      ],
    ]);
  });
});
