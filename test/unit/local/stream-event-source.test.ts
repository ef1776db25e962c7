import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { streamFailureSchema } from '../../../lambdas/stream/replay-failed-batch';
import type { LocalFunction } from '../../../local/lambda-host';
import { lanesOf, StreamEventSource } from '../../../local/stream-event-source';

const sqs = mockClient(SQSClient);
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/jobs/stream/2026';

const record = (sequence: string) => ({
  eventID: sequence,
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  eventSourceARN: STREAM_ARN,
  dynamodb: { SequenceNumber: sequence, ApproximateCreationDateTime: 1_780_000_000 },
});

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({});
});

test('a batch that used its retries is described to the on-failure queue as Lambda does (shard and range)', async () => {
  const failing = { name: 'StreamsDispatch', invoke: async () => Promise.reject(new Error('down')) };
  const source = new StreamEventSource(
    {
      streamArn: STREAM_ARN,
      batchSize: 100,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 1,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: true,
      onFailureQueueUrl: 'http://127.0.0.1/000000000000/failures',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:StreamsDispatch',
    },
    failing as unknown as LocalFunction,
    { call: () => Promise.reject(new Error('not read in this test')) },
    new SQSClient({ region: 'us-east-1' }),
    'us-east-1',
    () => undefined,
  );
  // The mapping's delivery of records read from one shard.
  await (source as unknown as { deliver: (shard: string, records: unknown[]) => Promise<void> }).deliver(
    'shardId-000001',
    [record('9'), record('10'), record('11')],
  );

  const sent = sqs.commandCalls(SendMessageCommand);
  expect(sent).toHaveLength(1);
  expect(sent[0]?.args[0].input.QueueUrl).toBe('http://127.0.0.1/000000000000/failures');
  const body = JSON.parse(sent[0]?.args[0].input.MessageBody ?? '');
  // What the replay consumer reads.
  expect(streamFailureSchema.parse(body).DDBStreamBatchInfo).toEqual({
    streamArn: STREAM_ARN,
    shardId: 'shardId-000001',
    startSequenceNumber: '9',
    endSequenceNumber: '11',
    batchSize: 3,
  });
  expect(body.requestContext).toMatchObject({
    condition: 'RetryAttemptsExhausted',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:StreamsDispatch',
    approximateInvokeCount: 2,
  });
  expect(body.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toBe(
    new Date(1_780_000_000_000).toISOString(),
  );
});

describe('parallelization lanes', () => {
  const change = (pk: string, sequence: string) => ({
    ...record(sequence),
    dynamodb: { ...record(sequence).dynamodb, Keys: { PK: { S: pk }, SK: { S: 'JOB' } } },
  });
  type Lanes = Parameters<typeof lanesOf>[0];

  test('one lane without parallelization, in stream order; none for no records', () => {
    const records = [change('JOB#a', '1'), change('JOB#b', '2')] as unknown as Lanes;
    expect(lanesOf(records, 1)).toEqual([records]);
    expect(lanesOf([], 1)).toEqual([]);
    expect(lanesOf([], 4)).toEqual([]);
  });

  test('an item’s changes stay in one lane, in order, while other items spread over the lanes', () => {
    const records = Array.from({ length: 200 }, (_, index) =>
      change(`JOB#${index % 50}`, String(index)),
    ) as unknown as Lanes;
    const lanes = lanesOf(records, 10);
    expect(lanes.length).toBeGreaterThan(5);
    expect(lanes.length).toBeLessThanOrEqual(10);
    expect(lanes.flat()).toHaveLength(200);
    for (const lane of lanes) {
      const sequences = lane.map((entry) => Number(entry.dynamodb.SequenceNumber));
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    }
    const laneOfItem = new Map<string, number>();
    lanes.forEach((lane, index) => {
      for (const entry of lane) {
        const pk = JSON.stringify((entry.dynamodb as { Keys?: unknown }).Keys);
        expect(laneOfItem.get(pk) ?? index).toBe(index);
        laneOfItem.set(pk, index);
      }
    });
  });

  test('lanes are processed at once: each lane’s first batch starts before any finishes', async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const target = {
      name: 'StreamsDispatch',
      invoke: async (event: { Records: { dynamodb: { Keys: { PK: { S: string } } } }[] }) => {
        started.push(event.Records[0]?.dynamodb.Keys.PK.S ?? '');
        await slow;
        return { batchItemFailures: [] };
      },
    };
    const source = new StreamEventSource(
      {
        streamArn: STREAM_ARN,
        batchSize: 1,
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: 0,
        bisectBatchOnFunctionError: false,
        reportBatchItemFailures: true,
        parallelizationFactor: 10,
      },
      target as unknown as LocalFunction,
      { call: () => Promise.reject(new Error('not read in this test')) },
      new SQSClient({ region: 'us-east-1' }),
      'us-east-1',
      () => undefined,
    );
    const records = [
      change('JOB#slow', '1'),
      ...Array.from({ length: 30 }, (_, i) => change(`JOB#k${i}`, `${i + 2}`)),
    ];
    const delivered = (
      source as unknown as { deliver: (shard: string, r: unknown[]) => Promise<void> }
    ).deliver('shardId-000001', records);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lanes = lanesOf(records as unknown as Lanes, 10);
    expect(lanes.length).toBeGreaterThan(5);
    expect(started).toHaveLength(lanes.length);
    release();
    await delivered;
    expect(started).toHaveLength(31);
  });
});
