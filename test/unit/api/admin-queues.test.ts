import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  drainDeadLetters,
  listQueues,
  peekDeadLetters,
  requireAdmin,
  setQueuePaused,
} from '../../../lambdas/api/admin-queues';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
const ADMIN = { id: 'admin-1', isAdmin: true };
const OTHER_JOB = '01JD0000000000000000000001';

/** The table updates and SQS deletes and sends, in the order they were made. */
let calls: string[] = [];

const deadLetters = (...jobIds: string[]) => ({
  Messages: jobIds.map((jobId, index) => ({
    MessageId: `m${index}`,
    ReceiptHandle: `r${index}`,
    Body: JSON.stringify({ jobId, attempt: 1 }),
  })),
});

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  lambda.reset();
  calls = [];
  sqs.on(DeleteMessageBatchCommand).callsFake(() => {
    calls.push('delete');
    return {};
  });
  dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'queued', attempts: 0 }) });
  dynamo.on(UpdateCommand).callsFake(() => {
    calls.push('update');
    return { Attributes: storedJob({ status: 'cancelled' }) };
  });
});

test('purge ends the waiting job before it deletes the message', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  await expect(drainDeadLetters('normal', 'purge', ADMIN, apiDependencies())).resolves.toEqual({ purged: 1 });
  expect(calls).toEqual(['update', 'delete']);
  expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
    ':from0': 'queued',
    ':s0': 'cancelled',
  });
});

test('a message whose job could not be ended is not deleted (it stays for the next purge)', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID, OTHER_JOB)).resolves({ Messages: [] });
  dynamo
    .on(GetCommand, { Key: { PK: `JOB#${OTHER_JOB}`, SK: 'JOB' } })
    .resolves({ Item: storedJob({ jobId: OTHER_JOB, PK: `JOB#${OTHER_JOB}` }) });
  dynamo
    .on(UpdateCommand, { Key: { PK: `JOB#${OTHER_JOB}`, SK: 'JOB' } })
    .rejects(new Error('ProvisionedThroughputExceeded'));
  const result = await drainDeadLetters('normal', 'purge', ADMIN, apiDependencies());
  expect(result).toEqual({ purged: 1 });
  const deletes = sqs.commandCalls(DeleteMessageBatchCommand);
  expect(deletes).toHaveLength(1);
  expect(deletes[0]?.args[0].input.Entries).toEqual([{ Id: '0', ReceiptHandle: 'r0' }]);
});

test('if ending the jobs fails outright, nothing is deleted', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  dynamo.on(GetCommand).rejects(new Error('DynamoDB unavailable'));
  await expect(drainDeadLetters('normal', 'purge', ADMIN, apiDependencies())).resolves.toEqual({ purged: 0 });
  expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
});

test('redrive sends before it deletes, and ends no job', async () => {
  sqs.on(ReceiveMessageCommand).resolvesOnce(deadLetters(JOB_ID)).resolves({ Messages: [] });
  sqs.on(SendMessageBatchCommand).callsFake(() => {
    calls.push('send');
    return { Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }] };
  });
  await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
    moved: 1,
  });
  expect(calls).toEqual(['send', 'delete']);
  expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
});

const USER = { id: 'user-1', isAdmin: false };

/** Depths by queue URL, answered as SQS's approximate attributes. */
const DEPTHS: Record<string, [number, number, number]> = {
  c: [1, 2, 3],
  h: [4, 5, 6],
  n: [7, 8, 9],
  l: [10, 11, 12],
  'c-dlq': [13, 0, 0],
  'h-dlq': [14, 0, 0],
  'n-dlq': [15, 0, 0],
  'l-dlq': [16, 0, 0],
};

const answerDepths = () =>
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl?: string }) => {
    const [waiting, inFlight, delayed] = DEPTHS[String(input.QueueUrl)] ?? [-1, -1, -1];
    return {
      Attributes: {
        ApproximateNumberOfMessages: String(waiting),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
        ApproximateNumberOfMessagesDelayed: String(delayed),
      },
    };
  });

const answerMappings = (states: Record<string, string>) =>
  lambda.on(GetEventSourceMappingCommand).callsFake((input: { UUID?: string }) => ({
    UUID: input.UUID,
    State: states[String(input.UUID)],
  }));

/** Dead letters m<from>..m<from+count-1>, each for its own job. */
const letters = (from: number, count: number): Message[] =>
  Array.from({ length: count }, (_, offset) => ({
    MessageId: `m${from + offset}`,
    ReceiptHandle: `r${from + offset}`,
    Body: JSON.stringify({ jobId: `job-${from + offset}`, attempt: 1 }),
  }));

/** Every receive answers `perReceive` fresh letters (never more than it asked for), forever. */
const endlessLetters = (perReceive = 10) => {
  let next = 0;
  sqs.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => {
    const Messages = letters(next, Math.min(perReceive, input.MaxNumberOfMessages ?? 1));
    next += Messages.length;
    return { Messages };
  });
};

const inputs = <Input extends object>(calls: { args: [{ input: Input }] }[]) =>
  calls.map((call) => call.args[0].input);

const expectAppError = async (
  promise: Promise<unknown>,
  statusCode: number,
  code: string,
  message?: string,
) => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toMatchObject({ statusCode, code, ...(message === undefined ? {} : { message }) });
};

afterEach(() => jest.restoreAllMocks());

describe('requireAdmin and unknown priorities', () => {
  test('every admin function is 403 FORBIDDEN for a non-admin, before any AWS call', async () => {
    const deps = apiDependencies();
    const message = 'This route is for administrators.';
    await expectAppError(listQueues(USER, deps), 403, 'FORBIDDEN', message);
    await expectAppError(setQueuePaused('normal', true, USER, deps), 403, 'FORBIDDEN', message);
    await expectAppError(peekDeadLetters('normal', {}, USER, deps), 403, 'FORBIDDEN', message);
    await expectAppError(drainDeadLetters('normal', 'redrive', USER, deps), 403, 'FORBIDDEN', message);
    await expectAppError(drainDeadLetters('normal', 'purge', USER, deps), 403, 'FORBIDDEN', message);
    expect(() => requireAdmin(USER)).toThrow(message);
    expect(() => requireAdmin(ADMIN)).not.toThrow();
    expect(sqs.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test.each([
    ['urgent', 'No queue "urgent". Queues: critical, high, normal, low.'],
    [undefined, 'No queue "undefined". Queues: critical, high, normal, low.'],
    ['Normal', 'No queue "Normal". Queues: critical, high, normal, low.'],
  ])('priority %p is 404 NOT_FOUND naming the queues, before any AWS call', async (priority, message) => {
    const deps = apiDependencies();
    await expectAppError(setQueuePaused(priority, true, ADMIN, deps), 404, 'NOT_FOUND', message);
    await expectAppError(peekDeadLetters(priority, {}, ADMIN, deps), 404, 'NOT_FOUND', message);
    await expectAppError(drainDeadLetters(priority, 'purge', ADMIN, deps), 404, 'NOT_FOUND', message);
    expect(sqs.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });
});

describe('listQueues', () => {
  test('lists every priority in order with its pause state, depths and dead letters', async () => {
    answerDepths();
    answerMappings({ 'esm-c': 'Enabled', 'esm-h': 'Disabled', 'esm-n': 'Disabling', 'esm-l': 'Enabling' });
    await expect(listQueues(ADMIN, apiDependencies())).resolves.toEqual({
      queues: [
        { priority: 'critical', paused: false, waiting: 1, inFlight: 2, delayed: 3, dlq: 13 },
        { priority: 'high', paused: true, waiting: 4, inFlight: 5, delayed: 6, dlq: 14 },
        { priority: 'normal', paused: true, waiting: 7, inFlight: 8, delayed: 9, dlq: 15 },
        { priority: 'low', paused: false, waiting: 10, inFlight: 11, delayed: 12, dlq: 16 },
      ],
    });
    expect(inputs(lambda.commandCalls(GetEventSourceMappingCommand))).toEqual([
      { UUID: 'esm-c' },
      { UUID: 'esm-h' },
      { UUID: 'esm-n' },
      { UUID: 'esm-l' },
    ]);
    const queueUrls = inputs(sqs.commandCalls(GetQueueAttributesCommand)).map((input) => input.QueueUrl);
    expect(queueUrls.sort()).toEqual(['c', 'c-dlq', 'h', 'h-dlq', 'l', 'l-dlq', 'n', 'n-dlq']);
  });

  test('a mapping without a state (or Updating/Creating) counts as running', async () => {
    answerDepths();
    answerMappings({ 'esm-c': 'Updating', 'esm-h': 'Creating' });
    const { queues } = await listQueues(ADMIN, apiDependencies());
    expect(queues.map((queue) => queue.paused)).toEqual([false, false, false, false]);
  });
});

describe('setQueuePaused', () => {
  test('pause disables the mapping of that priority and answers paused even before it settles', async () => {
    answerDepths();
    answerMappings({ 'esm-h': 'Enabled' });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    await expect(setQueuePaused('high', true, ADMIN, apiDependencies())).resolves.toEqual({
      priority: 'high',
      paused: true,
      waiting: 4,
      inFlight: 5,
      delayed: 6,
      dlq: 14,
    });
    expect(inputs(lambda.commandCalls(UpdateEventSourceMappingCommand))).toEqual([
      { UUID: 'esm-h', Enabled: false },
    ]);
    expect(inputs(lambda.commandCalls(GetEventSourceMappingCommand))).toEqual([{ UUID: 'esm-h' }]);
  });

  test('resume enables the mapping and answers running even while it still reads Disabled', async () => {
    answerDepths();
    answerMappings({ 'esm-l': 'Disabled' });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    await expect(setQueuePaused('low', false, ADMIN, apiDependencies())).resolves.toEqual({
      priority: 'low',
      paused: false,
      waiting: 10,
      inFlight: 11,
      delayed: 12,
      dlq: 16,
    });
    expect(inputs(lambda.commandCalls(UpdateEventSourceMappingCommand))).toEqual([
      { UUID: 'esm-l', Enabled: true },
    ]);
  });
});

describe('peekDeadLetters', () => {
  beforeEach(() => sqs.on(ChangeMessageVisibilityBatchCommand).resolves({}));

  test('peeks 10 by default from the dead-letter queue, holding them 30 s, then releases them at once', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: letters(0, 3) })
      .resolves({ Messages: [] });
    const result = await peekDeadLetters('critical', {}, ADMIN, apiDependencies());
    expect(result.messages.map((message) => message.jobId)).toEqual(['job-0', 'job-1', 'job-2']);
    expect(inputs(sqs.commandCalls(ReceiveMessageCommand))).toEqual([
      {
        QueueUrl: 'c-dlq',
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      },
      expect.objectContaining({ QueueUrl: 'c-dlq', MaxNumberOfMessages: 7 }),
    ]);
    expect(inputs(sqs.commandCalls(ChangeMessageVisibilityBatchCommand))).toEqual([
      {
        QueueUrl: 'c-dlq',
        Entries: [
          { Id: '0', ReceiptHandle: 'r0', VisibilityTimeout: 0 },
          { Id: '1', ReceiptHandle: 'r1', VisibilityTimeout: 0 },
          { Id: '2', ReceiptHandle: 'r2', VisibilityTimeout: 0 },
        ],
      },
    ]);
  });

  test('stops receiving once it holds `limit` messages, asking for no more than it still needs', async () => {
    endlessLetters(10);
    const result = await peekDeadLetters('normal', { limit: '25' }, ADMIN, apiDependencies());
    expect(result.messages).toHaveLength(25);
    expect(
      inputs(sqs.commandCalls(ReceiveMessageCommand)).map((input) => [
        input.QueueUrl,
        input.MaxNumberOfMessages,
      ]),
    ).toEqual([
      ['n-dlq', 10],
      ['n-dlq', 10],
      ['n-dlq', 5],
    ]);
    const releases = inputs(sqs.commandCalls(ChangeMessageVisibilityBatchCommand));
    expect(releases.map((release) => release.Entries?.map((entry) => entry.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1', '2', '3', '4'],
    ]);
    expect(releases.flatMap((release) => release.Entries?.map((entry) => entry.ReceiptHandle))).toEqual(
      letters(0, 25).map((message) => message.ReceiptHandle),
    );
  });

  test('exactly `limit` messages in one receive asks no further', async () => {
    endlessLetters(10);
    const result = await peekDeadLetters('normal', { limit: '10' }, ADMIN, apiDependencies());
    expect(result.messages).toHaveLength(10);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
  });

  test.each([
    ['1', 1],
    ['100', 100],
  ])('limit=%s is accepted', async (limit, expected) => {
    endlessLetters(10);
    const result = await peekDeadLetters('normal', { limit }, ADMIN, apiDependencies());
    expect(result.messages).toHaveLength(expected);
  });

  test.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ limit: '-1' }, 'limit'],
    [{ cursor: 'x' }, 'cursor'],
  ])('query %p is 400 VALIDATION_ERROR naming %s, before any receive', async (query, field) => {
    const error = await peekDeadLetters('normal', query, ADMIN, apiDependencies()).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      message: 'The query is invalid.',
    });
    expect(
      (error as { details: { fields: { field: string }[] } }).details.fields.map((f) => f.field),
    ).toEqual([field]);
    expect(sqs.calls()).toHaveLength(0);
  });

  test('an empty dead-letter queue answers no messages and releases nothing', async () => {
    sqs.on(ReceiveMessageCommand).resolves({});
    await expect(peekDeadLetters('low', { limit: '50' }, ADMIN, apiDependencies())).resolves.toEqual({
      messages: [],
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(0);
  });

  test('a message received twice is listed once; one without an id is skipped', async () => {
    const [first, second] = letters(0, 2);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [first as Message, { ReceiptHandle: 'anonymous', Body: '{}' }] })
      .resolvesOnce({ Messages: [first as Message, second as Message] })
      .resolves({ Messages: [] });
    const result = await peekDeadLetters('normal', {}, ADMIN, apiDependencies());
    expect(result.messages.map((message) => message.jobId)).toEqual(['job-0', 'job-1']);
  });

  test('each message answers its job id, prior receive count and sent time; odd bodies have no job id', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'a',
            ReceiptHandle: 'ra',
            Body: JSON.stringify({ jobId: JOB_ID, attempt: 3 }),
            Attributes: { ApproximateReceiveCount: '4', SentTimestamp: '1763892930000' },
          },
          {
            MessageId: 'b',
            ReceiptHandle: 'rb',
            Body: 'not json',
            Attributes: { ApproximateReceiveCount: '1' },
          },
          { MessageId: 'c', ReceiptHandle: 'rc', Body: JSON.stringify({ jobId: 42 }) },
          { MessageId: 'd', ReceiptHandle: 'rd', Body: 'null', Attributes: { ApproximateReceiveCount: '0' } },
          { MessageId: 'e', ReceiptHandle: 're' },
          { MessageId: 'f', ReceiptHandle: 'rf', Body: JSON.stringify({ id: JOB_ID }) },
        ],
      })
      .resolves({ Messages: [] });
    await expect(peekDeadLetters('normal', {}, ADMIN, apiDependencies())).resolves.toEqual({
      messages: [
        { jobId: JOB_ID, receiveCount: 3, sentAt: '2025-11-23T10:15:30.000Z' },
        { jobId: null, receiveCount: 0, sentAt: '1970-01-01T00:00:00.000Z' },
        { jobId: null, receiveCount: 0, sentAt: '1970-01-01T00:00:00.000Z' },
        { jobId: null, receiveCount: 0, sentAt: '1970-01-01T00:00:00.000Z' },
        { jobId: null, receiveCount: 0, sentAt: '1970-01-01T00:00:00.000Z' },
        { jobId: null, receiveCount: 0, sentAt: '1970-01-01T00:00:00.000Z' },
      ],
    });
  });

  test('stops collecting after 20 s even short of the limit', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake(() => {
      now += next === 0 ? 19_999 : 1;
      const Messages = letters(next, 1);
      next += 1;
      return { Messages };
    });
    const result = await peekDeadLetters('normal', { limit: '100' }, ADMIN, apiDependencies());
    // 19,999 ms after the start it still asks; at 20,000 ms it stops.
    expect(result.messages).toHaveLength(2);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
  });
});

describe('drainDeadLetters', () => {
  const sendsAll = () =>
    sqs.on(SendMessageBatchCommand).callsFake(() => {
      calls.push('send');
      return {};
    });

  test('redrive receives from the dead-letter queue, sends each body to its queue, deletes what was sent', async () => {
    sendsAll();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'a', ReceiptHandle: 'ra', Body: 'body-a' },
          { MessageId: 'b', ReceiptHandle: 'rb' },
        ],
      })
      .resolves({ Messages: [] });
    await expect(drainDeadLetters('high', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 2,
    });
    expect(inputs(sqs.commandCalls(ReceiveMessageCommand))[0]).toEqual({
      QueueUrl: 'h-dlq',
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 60,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });
    expect(inputs(sqs.commandCalls(SendMessageBatchCommand))).toEqual([
      {
        QueueUrl: 'h',
        Entries: [
          { Id: '0', MessageBody: 'body-a' },
          { Id: '1', MessageBody: '' },
        ],
      },
    ]);
    expect(inputs(sqs.commandCalls(DeleteMessageBatchCommand))).toEqual([
      {
        QueueUrl: 'h-dlq',
        Entries: [
          { Id: '0', ReceiptHandle: 'ra' },
          { Id: '1', ReceiptHandle: 'rb' },
        ],
      },
    ]);
  });

  test('redrive deletes only the messages SQS accepted, and stops at the first partial failure', async () => {
    endlessLetters(10);
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [
        { Id: '1', SenderFault: false, Code: 'InternalError' },
        { Id: '9', SenderFault: false, Code: 'InternalError' },
      ],
    });
    await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 8,
    });
    expect(inputs(sqs.commandCalls(DeleteMessageBatchCommand))).toEqual([
      {
        QueueUrl: 'n-dlq',
        Entries: ['r0', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'].map((ReceiptHandle, index) => ({
          Id: String(index),
          ReceiptHandle,
        })),
      },
    ]);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  test('redrive that SQS refuses wholly deletes nothing, moves nothing and stops', async () => {
    endlessLetters(10);
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: Array.from({ length: 10 }, (_, index) => ({
        Id: String(index),
        SenderFault: false,
        Code: 'InternalError',
      })),
    });
    await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 0,
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  test('keeps draining full batches until the queue is empty', async () => {
    sendsAll();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: letters(0, 10) })
      .resolvesOnce({ Messages: letters(10, 10) })
      .resolvesOnce({ Messages: letters(20, 4) })
      .resolves({ Messages: [] });
    await expect(drainDeadLetters('low', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 24,
    });
    expect(
      sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries?.length),
    ).toEqual([10, 10, 4]);
    expect(inputs(sqs.commandCalls(SendMessageBatchCommand)).map((input) => input.QueueUrl)).toEqual([
      'l',
      'l',
      'l',
    ]);
  });

  test('an empty dead-letter queue moves nothing and sends nothing', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 0,
    });
    await expect(drainDeadLetters('normal', 'purge', ADMIN, apiDependencies())).resolves.toEqual({
      purged: 0,
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  test('one request moves at most 1000 messages', async () => {
    sendsAll();
    endlessLetters(10);
    await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 1000,
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(100);
  });

  test('stops starting batches once 20 s have passed', async () => {
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    sendsAll();
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake(() => {
      now += next === 0 ? 19_999 : 1;
      const Messages = letters(next, 10);
      next += 10;
      return { Messages };
    });
    // 19,999 ms in, a second batch still starts; at 20,000 ms no third one does.
    await expect(drainDeadLetters('normal', 'redrive', ADMIN, apiDependencies())).resolves.toEqual({
      moved: 20,
    });
  });

  describe('purge', () => {
    const purge = async (...bodies: (string | undefined)[]) => {
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({
          Messages: bodies.map((Body, index) => ({
            MessageId: `m${index}`,
            ReceiptHandle: `r${index}`,
            Body,
          })),
        })
        .resolves({ Messages: [] });
      return drainDeadLetters('normal', 'purge', ADMIN, apiDependencies());
    };
    const message = (attempt: number, jobId = JOB_ID) => JSON.stringify({ jobId, attempt });
    const transition = () => dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;

    test.each([
      ['retrying', 'failed'],
      ['queued', 'cancelled'],
      ['delayed', 'cancelled'],
    ])('a %s job waiting on the message ends %s with PURGED', async (status, to) => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status, attempts: 2, runAt: NOW.toISOString() }) });
      await expect(purge(message(3))).resolves.toEqual({ purged: 1 });
      expect(inputs(dynamo.commandCalls(GetCommand))).toEqual([
        expect.objectContaining({ Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }),
      ]);
      const update = transition();
      expect(update?.Key).toEqual({ PK: `JOB#${JOB_ID}`, SK: 'JOB' });
      const at = NOW.toISOString();
      expect(update?.ExpressionAttributeValues).toMatchObject({
        ':from0': status,
        ':expectedAttempts': 2,
        ':s0': to,
        ':s1': at,
        ':s3': {
          code: 'PURGED',
          message: 'The job’s queue message was purged from the dead-letter queue.',
          retryable: false,
        },
        ':s4': at,
        ':events': [
          {
            at,
            from: status,
            to,
            attempt: 2,
            error: expect.objectContaining({ code: 'PURGED' }),
          },
        ],
      });
      expect(update?.ExpressionAttributeValues).not.toHaveProperty(':from1');
      const names = Object.values(update?.ExpressionAttributeNames ?? {});
      expect(names).toEqual(expect.arrayContaining(['completedAt', 'runAt']));
      const runAt = Object.entries(update?.ExpressionAttributeNames ?? {}).find(
        ([, name]) => name === 'runAt',
      );
      expect(String(update?.UpdateExpression).split('REMOVE ')[1]?.split(', ')).toContain(runAt?.[0]);
    });

    test.each(['processing', 'completed', 'failed', 'cancelled'])(
      'a %s job is left alone, and its message is still deleted',
      async (status) => {
        dynamo.on(GetCommand).resolves({ Item: storedJob({ status, attempts: 0 }) });
        await expect(purge(message(1))).resolves.toEqual({ purged: 1 });
        expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
        expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
      },
    );

    test.each([
      [0, 2],
      [2, 2],
      [2, 1],
    ])(
      'a stale message (job at attempts %i, message for attempt %i) changes nothing',
      async (attempts, attempt) => {
        dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'queued', attempts }) });
        await expect(purge(message(attempt))).resolves.toEqual({ purged: 1 });
        expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
        expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
      },
    );

    test('a message for a job that no longer exists is deleted without a write', async () => {
      dynamo.on(GetCommand).resolves({});
      await expect(purge(message(1))).resolves.toEqual({ purged: 1 });
      expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
      expect(inputs(sqs.commandCalls(DeleteMessageBatchCommand))).toEqual([
        { QueueUrl: 'n-dlq', Entries: [{ Id: '0', ReceiptHandle: 'r0' }] },
      ]);
    });

    test('poison, body-less and foreign messages are deleted without reading any job', async () => {
      await expect(
        purge('poison', undefined, JSON.stringify({ jobId: JOB_ID }), JSON.stringify({ attempt: 1 }), 'null'),
      ).resolves.toEqual({ purged: 5 });
      expect(dynamo.calls()).toHaveLength(0);
      expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toHaveLength(5);
    });

    test('a job that moved on meanwhile (condition failed) still lets its message go', async () => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'queued', attempts: 0 }) });
      dynamo.on(UpdateCommand).rejects(conditionFailed());
      await expect(purge(message(1))).resolves.toEqual({ purged: 1 });
      expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
    });
  });
});
