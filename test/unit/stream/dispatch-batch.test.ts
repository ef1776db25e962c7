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

/** The `submitted` counts added to everyone's counters of one type and priority, per update. */
const submittedCounts = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Key?.PK).startsWith('STATS#') && String(input.Key?.SK).startsWith('ALL#'))
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
    { queue: 'q-normal', body: { jobId: '01JD0000000000000000000001', attempt: 1 }, delaySeconds: 0 },
    { queue: 'q-normal', body: { jobId: '01JD0000000000000000000002', attempt: 1 }, delaySeconds: 0 },
    { queue: 'q-critical', body: { jobId: '01JD0000000000000000000003', attempt: 1 }, delaySeconds: 0 },
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
