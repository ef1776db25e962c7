import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { requestHash } from '../../../lambdas/api/submit-jobs';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const submission = { type: 'system.simulate', payload: { durationMs: 100 } };

beforeEach(() => dynamo.reset());

const submit = (rawBody: string, options: { headers?: Record<string, string>; user?: string } = {}) =>
  route(httpEvent('POST /v1/jobs', '/v1/jobs', { rawBody, ...options }), apiDependencies());

const expectContractError = (result: Awaited<ReturnType<typeof route>>, status: number, code: string) => {
  expect(result.statusCode).toBe(status);
  const body = parse(result.body);
  expect(body.error.code).toBe(code);
  expect(result.body).not.toMatch(/Exception|RangeError|stack|at \w+ \(/);
  return body.error;
};

const fieldsOf = (error: { details?: { fields?: { field: string }[] } }) =>
  (error.details?.fields ?? []).map((issue) => issue.field);

/** `{"a":{"a":...1...}}` nested `levels` deep, as text (JSON.parse handles what we build). */
const nestedText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('submissions the table could not hold are a 400, never stored', () => {
  test('metadata nested 40 levels (DynamoDB holds 32)', async () => {
    const result = await submit(`{"type":"system.simulate","payload":{},"metadata":${nestedText(40)}}`);
    const error = expectContractError(result, 400, 'VALIDATION_ERROR');
    expect(fieldsOf(error)[0]).toMatch(/^metadata\.a/);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('a payload nested 20,000 levels, with an Idempotency-Key (the hash recurses), is a 400', async () => {
    const rawBody = `{"type":"system.simulate","payload":{"result":${nestedText(20_000)}}}`;
    const result = await submit(rawBody, { headers: { 'Idempotency-Key': 'deep' } });
    const error = expectContractError(result, 400, 'VALIDATION_ERROR');
    expect(fieldsOf(error)[0]).toMatch(/^payload\.result\.a/);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('the same 20,000 levels inside a batch entry fail that entry only', async () => {
    dynamo.on(GetCommand).resolves({});
    const deep = `{"type":"system.simulate","payload":{},"metadata":${nestedText(20_000)}}`;
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        rawBody: `{"jobs":[${deep},${JSON.stringify(submission)}]}`,
        headers: { 'Idempotency-Key': 'batch-deep' },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const { jobs } = parse(result.body);
    expect(jobs[0].error.code).toBe('VALIDATION_ERROR');
    expect(jobs[1].status).toBe('queued');
  });

  test.each([
    ['1e200', 'payload.durationMs'],
    ['1e400', 'payload.durationMs'],
    ['9007199254740993', 'payload.durationMs'],
  ])('the number %s in a payload is refused', async (number, field) => {
    const result = await submit(`{"type":"system.simulate","payload":{"durationMs":${number}}}`);
    expect(fieldsOf(expectContractError(result, 400, 'VALIDATION_ERROR'))).toContain(field);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test.each([
    ['1e200', 'metadata.amount'],
    ['9007199254740993', 'metadata.amount'],
  ])('the number %s in metadata is refused', async (number, field) => {
    const result = await submit(`{"type":"system.simulate","payload":{},"metadata":{"amount":${number}}}`);
    expect(fieldsOf(expectContractError(result, 400, 'VALIDATION_ERROR'))).toEqual([field]);
  });

  test('metadata 16 levels deep with safe numbers is accepted and stored as sent', async () => {
    const metadata = JSON.parse(nestedText(15));
    const result = await submit(
      JSON.stringify({ ...submission, metadata: { n: 9007199254740991, deep: metadata } }),
    );
    expect(result.statusCode).toBe(202);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ metadata: { n: 9007199254740991, deep: metadata } }),
    });
  });
});

describe('the table’s own refusals are a 400, not a 500', () => {
  const validationException = () =>
    new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      $metadata: {},
      message: 'Item size has exceeded the maximum allowed size',
    });

  test('a ValidationException on the put answers 400 VALIDATION_ERROR without its name', async () => {
    dynamo.on(PutCommand).rejects(validationException());
    const result = await submit(JSON.stringify(submission));
    const error = expectContractError(result, 400, 'VALIDATION_ERROR');
    expect(error.message).not.toMatch(/Item size|ValidationException/);
  });

  test('a transaction cancelled for a ValidationError answers 400', async () => {
    dynamo.on(GetCommand).resolves({});
    const { TransactionCanceledException } = await import('@aws-sdk/client-dynamodb');
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }],
      }),
    );
    const result = await submit(JSON.stringify(submission), { headers: { 'Idempotency-Key': 'k-1' } });
    expectContractError(result, 400, 'VALIDATION_ERROR');
  });

  test('any other store failure stays a 500 INTERNAL_ERROR', async () => {
    dynamo.on(PutCommand).rejects(
      new DynamoDBServiceException({
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: {},
        message: 'x',
      }),
    );
    expectContractError(await submit(JSON.stringify(submission)), 500, 'INTERNAL_ERROR');
  });
});

describe('GET /v1/stats window', () => {
  const stats = (query: Record<string, string>) =>
    route(httpEvent('GET /v1/stats', '/v1/stats', { query }), apiDependencies());

  test('a 10,000-year window is refused at once, before listing its days', async () => {
    const started = performance.now();
    const result = await stats({ from: '0001-01-01', to: '9999-12-31' });
    // Listing its 3.65 M days first took ~4 s; measuring the span takes microseconds.
    expect(performance.now() - started).toBeLessThan(500);
    expect(fieldsOf(expectContractError(result, 400, 'VALIDATION_ERROR'))).toEqual(['to']);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('from alone, far in the past, is measured up to today and refused', async () => {
    expectContractError(await stats({ from: '0001-01-01' }), 400, 'VALIDATION_ERROR');
  });

  test('from after to is a 400 naming from', async () => {
    const result = await stats({ from: '2026-11-23', to: '2026-11-01' });
    expect(fieldsOf(expectContractError(result, 400, 'VALIDATION_ERROR'))).toEqual(['from']);
  });

  test('exactly 92 days is allowed (one read per day); 93 is not', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const allowed = await stats({ from: '2026-08-24', to: '2026-11-23' });
    sqs.restore();
    expect(allowed.statusCode).toBe(200);
    expect(parse(allowed.body).window).toEqual({ from: '2026-08-24', to: '2026-11-23' });
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 92);
    dynamo.reset();
    expectContractError(await stats({ from: '2026-08-23', to: '2026-11-23' }), 400, 'VALIDATION_ERROR');
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('callers', () => {
  test.each(['alice#bob', 'alice/bob', 'line\nbreak', 'x'.repeat(129)])(
    'a token whose sub is %j is a 401 UNAUTHORIZED, before any work',
    async (sub) => {
      const result = await submit(JSON.stringify(submission), { user: sub });
      expectContractError(result, 401, 'UNAUTHORIZED');
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  test.each(['admin', '["admin"]', '[administrators]', '[admin,users]'])(
    'cognito:groups %j does not open an admin route',
    async (groups) => {
      const result = await route(httpEvent('GET /v1/queues', '/v1/queues', { groups }), apiDependencies());
      expectContractError(result, 403, 'FORBIDDEN');
    },
  );

  test('an idempotent replay never hands back a job of another user', async () => {
    dynamo
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#shared', SK: 'IDEM' } })
      .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(submission) } })
      .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
      .resolves({ Item: storedJob({ userId: 'someone-else' }) });
    const result = await submit(JSON.stringify(submission), { headers: { 'Idempotency-Key': 'shared' } });
    expectContractError(result, 409, 'IDEMPOTENCY_CONFLICT');
    expect(result.body).not.toContain(JOB_ID);
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  test('the owner’s replay still answers 200 with the first job', async () => {
    dynamo
      .on(GetCommand, { Key: { PK: 'IDEM#user-1#mine', SK: 'IDEM' } })
      .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(submission) } })
      .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
      .resolves({ Item: storedJob() });
    const result = await submit(JSON.stringify(submission), { headers: { 'Idempotency-Key': 'mine' } });
    expect(result.statusCode).toBe(200);
    expect(parse(result.body).jobId).toBe(JOB_ID);
  });
});
