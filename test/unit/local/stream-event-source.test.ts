import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { streamFailureSchema } from '../../../lambdas/stream/replay-failed-batch';
import type { LocalFunction } from '../../../local/lambda-host';
import { StreamEventSource } from '../../../local/stream-event-source';

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
    new DynamoDBStreamsClient({ region: 'us-east-1' }),
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
