import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { route } from '../../../lambdas/api/handler';
import { logger } from '../../../lambdas/core/observability';
import { apiDependencies } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  s3.reset();
  dynamo.on(GetCommand).resolves({});
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
  s3.on(HeadBucketCommand).resolves({});
});

const health = () => route(httpEvent('GET /v1/health', '/v1/health', { user: null }), apiDependencies());

test('200 ok when the table, every queue and the bucket answer (no token needed)', async () => {
  const result = await health();
  expect(result.statusCode).toBe(200);
  expect(parse(result.body)).toEqual({ status: 'ok', checks: { table: 'ok', queues: 'ok', bucket: 'ok' } });
});

test('503 naming the dependency that is down', async () => {
  sqs.on(GetQueueAttributesCommand).rejects(new Error('connect ECONNREFUSED'));
  const result = await health();
  expect(result.statusCode).toBe(503);
  expect(parse(result.body)).toEqual({
    status: 'degraded',
    checks: { table: 'ok', queues: 'error', bucket: 'ok' },
  });
  expect(result.body).not.toContain('ECONNREFUSED');
});

describe('what each check asks', () => {
  afterEach(() => jest.restoreAllMocks());

  test('reads the health key of the table, the ARN of every work queue and the bucket head, each within 2 s', async () => {
    const timeout = jest.spyOn(AbortSignal, 'timeout');
    await health();
    expect(timeout.mock.calls).toEqual([[2000], [2000], [2000]]);
    expect(dynamo.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'jobs-test', Key: { PK: 'HEALTH', SK: 'HEALTH' } },
    ]);
    const queueChecks = sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input);
    expect(queueChecks).toEqual([
      { QueueUrl: 'c', AttributeNames: ['QueueArn'] },
      { QueueUrl: 'h', AttributeNames: ['QueueArn'] },
      { QueueUrl: 'n', AttributeNames: ['QueueArn'] },
      { QueueUrl: 'l', AttributeNames: ['QueueArn'] },
    ]);
    expect(s3.commandCalls(HeadBucketCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'files-test' },
    ]);
    const options = [
      ...dynamo.commandCalls(GetCommand),
      ...sqs.commandCalls(GetQueueAttributesCommand),
      ...s3.commandCalls(HeadBucketCommand),
    ].map((call) => (call.args as unknown[])[1] as { abortSignal?: unknown } | undefined);
    expect(options).toHaveLength(6);
    for (const option of options) {
      expect(option?.abortSignal).toBeInstanceOf(AbortSignal);
    }
  });

  test.each([
    ['table', () => dynamo.on(GetCommand).rejects(new Error('table down'))],
    ['bucket', () => s3.on(HeadBucketCommand).rejects(new Error('bucket down'))],
    [
      'queues',
      () => sqs.on(GetQueueAttributesCommand, { QueueUrl: 'l' }).rejects(new Error('low queue down')),
    ],
  ] as const)(
    'only the %s check fails when it alone is down, and the failure is logged',
    async (name, breakIt) => {
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      breakIt();
      const result = await health();
      expect(result.statusCode).toBe(503);
      expect(parse(result.body)).toEqual({
        status: 'degraded',
        checks: { table: 'ok', queues: 'ok', bucket: 'ok', [name]: 'error' },
      });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith('Health check failed', { check: name, error: expect.any(Error) });
    },
  );

  test('everything down is 503 with every check in error', async () => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    dynamo.on(GetCommand).rejects(new Error('down'));
    sqs.on(GetQueueAttributesCommand).rejects(new Error('down'));
    s3.on(HeadBucketCommand).rejects(new Error('down'));
    const result = await health();
    expect(result.statusCode).toBe(503);
    expect(parse(result.body)).toEqual({
      status: 'degraded',
      checks: { table: 'error', queues: 'error', bucket: 'error' },
    });
  });

  test('a healthy answer logs nothing', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    expect((await health()).statusCode).toBe(200);
    expect(warn).not.toHaveBeenCalled();
  });
});
