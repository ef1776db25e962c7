import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { JobQueueClient } from '../../../lambdas/core/job-queue-client';
import { StatsStore } from '../../../lambdas/core/stats-store';
import { VersionStore } from '../../../lambdas/core/version-store';
import { handler, replayRecord } from '../../../lambdas/stream/replay-dispatch';
import {
  isDispatchedRecord,
  type ReplayDependencies,
  replayFailedBatch,
  type StreamFailure,
} from '../../../lambdas/stream/replay-failed-batch';

const streamsMock = mockClient(DynamoDBStreamsClient);
const sqsMock = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const QUEUE_URLS = { critical: 'q-critical', high: 'q-high', normal: 'q-normal', low: 'q-low' };
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const NOW = new Date('2026-05-01T10:00:00.000Z');
const deps: ReplayDependencies = {
  streams: new DynamoDBStreamsClient({ region: 'eu-west-1' }),
  queue: new JobQueueClient(new SQSClient({ region: 'eu-west-1' }), QUEUE_URLS, () => NOW),
  stats: new StatsStore(documentClient, 'jobs-test'),
  versions: new VersionStore(documentClient, 'jobs-test'),
};

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/jobs/stream/2026-01-01T00:00:00.000';
const failure = (start: string, end: string): StreamFailure => ({
  requestContext: { condition: 'RetryAttemptsExhausted' },
  DDBStreamBatchInfo: {
    streamArn: STREAM_ARN,
    shardId: 'shardId-0001',
    startSequenceNumber: start,
    endSequenceNumber: end,
    batchSize: 2,
  },
});

const job = (jobId: string, fields: Record<string, unknown> = {}) => ({
  PK: `JOB#${jobId}`,
  SK: 'JOB',
  jobId,
  userId: 'user-1',
  type: 'system.simulate',
  status: 'queued',
  priority: 'normal',
  priorityValue: 5,
  payload: {},
  attempts: 0,
  maxAttempts: 3,
  createdAt: '2026-05-01T09:00:00.000Z',
  updatedAt: '2026-05-01T09:00:00.000Z',
  events: [],
  version: 1,
  ...fields,
});

/** A record as DynamoDB Streams' GetRecords returns it. */
const streamRecord = (
  sequence: string,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { newImage?: Record<string, unknown>; oldImage?: Record<string, unknown> },
): _Record => ({
  eventID: `e-${sequence}`,
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: sequence,
    ApproximateCreationDateTime: new Date('2026-05-01T09:00:00.000Z'),
    ...(images.newImage ? { NewImage: marshall(images.newImage, { removeUndefinedValues: true }) } : {}),
    ...(images.oldImage ? { OldImage: marshall(images.oldImage, { removeUndefinedValues: true }) } : {}),
  },
});

/** Messages sent to each queue, parsed. */
const sentMessages = () =>
  sqsMock.commandCalls(SendMessageBatchCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      queue: call.args[0].input.QueueUrl,
      body: JSON.parse(entry.MessageBody ?? ''),
    })),
  );

beforeEach(() => {
  streamsMock.reset();
  sqsMock.reset();
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
  sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
  streamsMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
});

test('re-sends the messages of the job records in the named range, and only those', async () => {
  streamsMock.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({
    Records: [
      streamRecord('100', 'INSERT', { newImage: job('J1') }),
      // Not a job item: the dispatcher's filters never passed it.
      streamRecord('101', 'MODIFY', {
        newImage: { PK: 'STATS#2026-05-01', SK: 'USER#user-1#t#normal', submitted: 3 },
      }),
      streamRecord('102', 'MODIFY', {
        oldImage: job('J2', { status: 'processing', attempts: 1 }),
        newImage: job('J2', { status: 'retrying', attempts: 1, runAt: '2026-05-01T10:05:00.000Z' }),
      }),
      // Past the end of the range: another batch's.
      streamRecord('103', 'INSERT', { newImage: job('J3', { priority: 'high' }) }),
    ],
    NextShardIterator: 'it-1',
  });

  const summary = await replayFailedBatch(failure('100', '102'), deps);

  expect(streamsMock.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({
    StreamArn: STREAM_ARN,
    ShardId: 'shardId-0001',
    ShardIteratorType: 'AT_SEQUENCE_NUMBER',
    SequenceNumber: '100',
  });
  expect(sentMessages()).toEqual([
    { queue: 'q-normal', body: { jobId: 'J1', attempt: 1, type: 'system.simulate' } },
    {
      queue: 'q-normal',
      body: { jobId: 'J2', attempt: 2, runAt: '2026-05-01T10:05:00.000Z', type: 'system.simulate' },
    },
  ]);
  expect(summary).toEqual({ read: 3, dispatched: 2 });
});

test('the replayed records are counted in the statistics like a first dispatch', async () => {
  streamsMock.on(GetRecordsCommand).resolves({
    Records: [streamRecord('100', 'INSERT', { newImage: job('J1') })],
    NextShardIterator: 'it-1',
  });
  await replayFailedBatch(failure('100', '100'), deps);
  const counterUpdates = dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Key?.PK).startsWith('STATS#2026-05-01'));
  expect(counterUpdates.length).toBeGreaterThan(0);
  expect(JSON.stringify(counterUpdates)).toContain('submitted');
});

test('reads page after page until it reaches the end sequence number', async () => {
  streamsMock
    .on(GetRecordsCommand, { ShardIterator: 'it-0' })
    .resolves({
      Records: [streamRecord('100', 'INSERT', { newImage: job('J1') })],
      NextShardIterator: 'it-1',
    })
    .on(GetRecordsCommand, { ShardIterator: 'it-1' })
    .resolves({ Records: [], NextShardIterator: 'it-2' })
    .on(GetRecordsCommand, { ShardIterator: 'it-2' })
    .resolves({
      Records: [streamRecord('250', 'INSERT', { newImage: job('J2') })],
      NextShardIterator: 'it-3',
    });
  await replayFailedBatch(failure('100', '250'), deps);
  expect(sentMessages().map((message) => message.body.jobId)).toEqual(['J1', 'J2']);
  expect(streamsMock.commandCalls(GetRecordsCommand)).toHaveLength(3);
});

test('sequence numbers compare as numbers, not text', async () => {
  streamsMock.on(GetRecordsCommand).resolves({
    Records: [
      streamRecord('9', 'INSERT', { newImage: job('J1') }),
      streamRecord('10', 'INSERT', { newImage: job('J2') }),
      streamRecord('11', 'INSERT', { newImage: job('J3') }),
    ],
    NextShardIterator: 'it-1',
  });
  await replayFailedBatch(failure('9', '10'), deps);
  expect(sentMessages().map((message) => message.body.jobId)).toEqual(['J1', 'J2']);
});

test('fails while SQS still refuses a message, so the failure message is retried later', async () => {
  streamsMock.on(GetRecordsCommand).resolves({
    Records: [streamRecord('100', 'INSERT', { newImage: job('J1') })],
    NextShardIterator: 'it-1',
  });
  sqsMock.on(SendMessageBatchCommand).rejects(new Error('SQS is down'));
  await expect(replayFailedBatch(failure('100', '100'), deps)).rejects.toThrow(/retrying later/);
});

test('fails when the end of the range cannot be reached yet', async () => {
  streamsMock.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'it-again' });
  await expect(replayFailedBatch(failure('100', '200'), deps)).rejects.toThrow(/Could not read up to/);
  expect(sentMessages()).toEqual([]);
});

test('a closed shard that ends inside the range replays what it holds', async () => {
  streamsMock.on(GetRecordsCommand).resolves({
    Records: [streamRecord('100', 'INSERT', { newImage: job('J1') })],
  });
  await expect(replayFailedBatch(failure('100', '200'), deps)).resolves.toEqual({ read: 1, dispatched: 1 });
});

test('the replay skips what the dispatcher’s filters drop: claims, progress, TTL removals', async () => {
  const running = job('J1', { status: 'processing', attempts: 1 });
  streamsMock.on(GetRecordsCommand).resolves({
    Records: [
      streamRecord('100', 'MODIFY', { oldImage: job('J1'), newImage: running }),
      streamRecord('101', 'MODIFY', {
        oldImage: running,
        newImage: { ...running, progress: { percent: 5 } },
      }),
      streamRecord('102', 'REMOVE', { oldImage: job('J0', { status: 'completed', attempts: 1 }) }),
      streamRecord('103', 'MODIFY', {
        oldImage: running,
        newImage: { ...running, status: 'completed', durationMs: 9, updatedAt: '2026-05-01T09:00:09.000Z' },
      }),
    ],
  });
  await expect(replayFailedBatch(failure('100', '103'), deps)).resolves.toEqual({ read: 4, dispatched: 1 });
  expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key)).toEqual([
    { PK: 'STATS#2026-05-01', SK: 'USER#user-1#system.simulate#normal' },
  ]);
});

test('isDispatchedRecord is the dispatcher’s rule on the raw record: job items only, no removals', () => {
  const lambdaRecord = (
    eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
    sk: string,
    statuses: { from?: string; to?: string } = {},
  ) => ({
    eventName,
    dynamodb: {
      ...(statuses.from ? { OldImage: { SK: { S: sk }, status: { S: statuses.from } } } : {}),
      ...(statuses.to ? { NewImage: { SK: { S: sk }, status: { S: statuses.to } } } : {}),
    },
  });
  expect(isDispatchedRecord(lambdaRecord('INSERT', 'JOB', { to: 'queued' }))).toBe(true);
  expect(isDispatchedRecord(lambdaRecord('MODIFY', 'JOB', { from: 'processing', to: 'retrying' }))).toBe(
    true,
  );
  expect(isDispatchedRecord(lambdaRecord('MODIFY', 'JOB', { from: 'queued', to: 'processing' }))).toBe(false);
  expect(isDispatchedRecord(lambdaRecord('REMOVE', 'JOB', { from: 'completed' }))).toBe(false);
  expect(isDispatchedRecord(lambdaRecord('INSERT', 'CONN', { to: 'queued' }))).toBe(false);
  expect(
    isDispatchedRecord(lambdaRecord('MODIFY', 'ITEM#000001', { from: 'processing', to: 'failed' })),
  ).toBe(false);
});

describe('the failure-queue consumer', () => {
  const sqsRecord = (messageId: string, body: unknown): SQSRecord =>
    ({
      messageId,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      receiptHandle: `r-${messageId}`,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:dispatch-failures',
      awsRegion: 'eu-west-1',
    }) as SQSRecord;

  test('a message that is not an on-failure record is refused (to be retried, then its DLQ)', async () => {
    await expect(replayRecord(sqsRecord('m1', 'not json'), deps)).rejects.toThrow();
    await expect(
      replayRecord(sqsRecord('m2', { DDBStreamBatchInfo: { shardId: 's', startSequenceNumber: 'x' } }), deps),
    ).rejects.toThrow();
    expect(streamsMock.calls()).toHaveLength(0);
  });

  test('reports only the messages it could not replay as failed', async () => {
    streamsMock.on(GetRecordsCommand).resolves({
      Records: [streamRecord('100', 'INSERT', { newImage: job('J1') })],
      NextShardIterator: 'it-1',
    });
    const event: SQSEvent = {
      Records: [sqsRecord('good', failure('100', '100')), sqsRecord('bad', { nope: true })],
    };
    const response = await handler(event, { functionName: 'replay' } as never);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(sentMessages().map((message) => message.body)).toEqual([
      { jobId: 'J1', attempt: 1, type: 'system.simulate' },
    ]);
  });
});
