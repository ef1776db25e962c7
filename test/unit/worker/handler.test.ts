import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../../lambdas/worker/handler';
import { WORKER_LOST } from '../../../lambdas/worker/lifecycle';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { decodeUpdate } from '../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/normal';

const context = {
  functionName: 'NormalWorker',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

const record = (id: string, body: string) => ({
  messageId: id,
  receiptHandle: `receipt-${id}`,
  body,
  attributes: {},
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:normal',
  awsRegion: 'eu-west-1',
});
const message = (attempt = 1) => JSON.stringify({ jobId: JOB_ID, attempt });
const invoke = (...records: ReturnType<typeof record>[]) =>
  handler({ Records: records } as unknown as SQSEvent, context);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

test('each invocation shortens the visibility of its whole batch to 60 s in one request', async () => {
  dynamo.on(GetCommand).resolves({});
  expect(await invoke(record('m1', message()), record('m2', message(2)))).toEqual({ batchItemFailures: [] });
  expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input)).toEqual([
    {
      QueueUrl: QUEUE,
      Entries: [
        { Id: '0', ReceiptHandle: 'receipt-m1', VisibilityTimeout: 60 },
        { Id: '1', ReceiptHandle: 'receipt-m2', VisibilityTimeout: 60 },
      ],
    },
  ]);
  expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
});

test('the redelivered message of a running attempt with a live lease is put back until the lease ends', async () => {
  const leaseUntil = new Date(Date.now() + 20_000).toISOString();
  dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1, leaseUntil }) });
  expect(await invoke(record('m1', message()))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
    { QueueUrl: QUEUE, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 21 },
  ]);
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test('the redelivered message of a running attempt whose lease ran out records the lost attempt and is deleted', async () => {
  const leaseUntil = new Date(Date.now() - 5_000).toISOString();
  dynamo.on(GetCommand).resolves({
    Item: storedJob({ status: 'processing', attempts: 1, leaseUntil, startedAt: leaseUntil }),
  });
  dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'retrying', attempts: 1 }) });
  expect(await invoke(record('m1', message()))).toEqual({ batchItemFailures: [] });
  const writes = dynamo.commandCalls(UpdateCommand).map((call) => decodeUpdate(call.args[0].input));
  expect(writes).toHaveLength(1);
  expect(writes[0]?.set).toMatchObject({ status: 'retrying', error: WORKER_LOST });
  expect(writes[0]?.values).toMatchObject({ ':expectedLease': leaseUntil, ':expectedAttempts': 1 });
  expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
});

test('a poison message is failed at once (visible again now) without failing the invocation', async () => {
  expect(await invoke(record('m1', 'not json'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
    { QueueUrl: QUEUE, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 0 },
  ]);
});

test('a message that could not be processed comes back after 10 s, not the queue’s long timeout', async () => {
  dynamo.on(GetCommand).rejects(new Error('throttled'));
  const { batchItemFailures } = await invoke(record('m1', message()), record('m2', 'not json'));
  expect(batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['m1', 'm2']);
  expect(
    sqs
      .commandCalls(ChangeMessageVisibilityCommand)
      .map((call) => call.args[0].input)
      .sort((a, b) => String(a.ReceiptHandle).localeCompare(String(b.ReceiptHandle))),
  ).toEqual([
    { QueueUrl: QUEUE, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 10 },
    { QueueUrl: QUEUE, ReceiptHandle: 'receipt-m2', VisibilityTimeout: 0 },
  ]);
});
