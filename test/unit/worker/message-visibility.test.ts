import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { BatchVisibility } from '../../../lambdas/worker/message-visibility';

const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs/normal';
const messages = [
  { messageId: 'm1', receiptHandle: 'r1' },
  { messageId: 'm2', receiptHandle: 'r2' },
  { messageId: 'm3', receiptHandle: 'r3' },
];
const timing = { visibilitySeconds: 60, extendEveryMs: 10_000 };

const batches = () => sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input);
const singles = () => sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
const entries = (handles: string[]) =>
  handles.map((receiptHandle, index) => ({
    Id: String(index),
    ReceiptHandle: receiptHandle,
    VisibilityTimeout: 60,
  }));

let problems: [string, Record<string, unknown>][];
let visibility: BatchVisibility;

beforeEach(() => {
  jest.useFakeTimers();
  sqs.reset();
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  problems = [];
  visibility = new BatchVisibility(
    new SQSClient({ region: 'eu-west-1' }),
    QUEUE,
    messages,
    timing,
    (problem, detail) => problems.push([problem, detail]),
  );
});

afterEach(async () => {
  await visibility.stop();
  jest.useRealTimers();
});

test('at the start, one request shortens every message of the batch', async () => {
  visibility.start();
  await visibility.stop();
  expect(batches()).toEqual([{ QueueUrl: QUEUE, Entries: entries(['r1', 'r2', 'r3']) }]);
  expect(singles()).toEqual([]);
});

test('while the invocation runs, each tick extends the batch in one request; none after stop', async () => {
  visibility.start();
  await jest.advanceTimersByTimeAsync(25_000);
  expect(batches()).toHaveLength(3);
  expect(batches()[2]).toEqual({ QueueUrl: QUEUE, Entries: entries(['r1', 'r2', 'r3']) });
  await visibility.stop();
  await jest.advanceTimersByTimeAsync(60_000);
  expect(batches()).toHaveLength(3);
});

test('a released message gets its own visibility once and is extended no more', async () => {
  visibility.start();
  await visibility.release('m2', 14);
  expect(singles()).toEqual([{ QueueUrl: QUEUE, ReceiptHandle: 'r2', VisibilityTimeout: 14 }]);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(batches()[1]).toEqual({ QueueUrl: QUEUE, Entries: entries(['r1', 'r3']) });
  // Released twice (or unknown): no second request.
  await visibility.release('m2', 0);
  expect(singles()).toHaveLength(1);
});

test('a release waits for the shortening in flight, so it is never overtaken', async () => {
  const order: string[] = [];
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push('batch');
    return { Successful: [], Failed: [] };
  });
  sqs.on(ChangeMessageVisibilityCommand).callsFake(async () => {
    order.push('single');
    return {};
  });
  visibility.start();
  const released = visibility.release('m1', 0);
  await jest.advanceTimersByTimeAsync(100);
  await released;
  expect(order).toEqual(['batch', 'single']);
});

test('a receipt handle SQS refuses is dropped; other failures are tried again; both are reported', async () => {
  sqs
    .on(ChangeMessageVisibilityBatchCommand)
    .resolvesOnce({
      Successful: [{ Id: '1' }],
      Failed: [
        { Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true },
        { Id: '2', Code: 'InternalError', SenderFault: false },
      ],
    })
    .resolves({ Successful: [], Failed: [] });
  visibility.start();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(batches()[1]).toEqual({ QueueUrl: QUEUE, Entries: entries(['r2', 'r3']) });
  expect(problems).toEqual([
    [
      'Some job messages kept their visibility',
      {
        failed: [
          { code: 'ReceiptHandleIsInvalid', senderFault: true },
          { code: 'InternalError', senderFault: false },
        ],
      },
    ],
  ]);
});

test('a failed request is reported, never thrown, and the next tick tries again', async () => {
  sqs
    .on(ChangeMessageVisibilityBatchCommand)
    .rejectsOnce(new Error('throttled'))
    .resolves({ Successful: [], Failed: [] });
  visibility.start();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(problems).toEqual([
    ['Could not change the visibility of job messages', { error: new Error('throttled') }],
  ]);
  expect(batches()).toHaveLength(2);
});

test('more than ten messages go out in requests of ten', async () => {
  const many = Array.from({ length: 12 }, (_, index) => ({
    messageId: `m${index}`,
    receiptHandle: `r${index}`,
  }));
  const large = new BatchVisibility(new SQSClient({ region: 'eu-west-1' }), QUEUE, many, timing, () => {});
  large.start();
  await large.stop();
  expect(batches().map((input) => input.Entries?.map((entry) => entry.ReceiptHandle))).toEqual([
    many.slice(0, 10).map((message) => message.receiptHandle),
    ['r10', 'r11'],
  ]);
});
