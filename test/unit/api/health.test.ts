import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { route } from '../../../lambdas/api/handler';
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
