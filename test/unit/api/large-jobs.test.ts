import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { payloadKey, resultKey } from '../../../lambdas/core/claim-check';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { serveBatchGets } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';
import { BucketFake } from '../support/s3-objects';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const KB = 1024;
let bucket: BucketFake;

beforeEach(() => {
  dynamo.reset();
  s3.reset();
  bucket = new BucketFake(s3);
});

const offloaded = (fields: Record<string, unknown> = {}) =>
  storedJob({ payload: undefined, payloadRef: { key: payloadKey(JOB_ID), bytes: 1 }, ...fields });

describe('submitting a large payload', () => {
  test('a payload over 200 KB is accepted, stored in S3, and answered in full', async () => {
    const payload = { durationMs: 10, result: 'p'.repeat(220 * KB) };
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'system.simulate', payload } }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const job = parse(result.body);
    expect(job.payload).toMatchObject(payload);
    const item = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).not.toHaveProperty('payload');
    expect(item?.payloadRef).toMatchObject({ key: payloadKey(job.jobId) });
    expect(bucket.json(payloadKey(job.jobId))).toMatchObject(payload);
  });

  test('a small payload is stored inline, with no S3 write', async () => {
    await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', {
        body: { type: 'system.simulate', payload: { durationMs: 1 } },
      }),
      apiDependencies(),
    );
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      payload: { durationMs: 1 },
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('metadata that cannot be stored is 400 naming metadata, before counting or writing anything', async () => {
    const metadata = { counts: Array.from({ length: 120 * KB }, () => 1) };
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'system.simulate', payload: {}, metadata } }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(400);
    const body = parse(result.body);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(body.error.details)).toContain('metadata');
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('reading jobs whose fields are in S3', () => {
  test('GET /v1/jobs/{jobId} answers the payload and the result as if they were inline', async () => {
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ text: 'payload' }));
    bucket.objects.set(resultKey(JOB_ID), JSON.stringify({ text: 'result' }));
    dynamo.on(GetCommand).resolves({
      Item: offloaded({ status: 'completed', resultRef: { key: resultKey(JOB_ID), bytes: 300 * KB } }),
    });
    const result = await route(
      httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${JOB_ID}`, { pathParameters: { jobId: JOB_ID } }),
      apiDependencies(),
    );
    const job = parse(result.body);
    expect(job).toMatchObject({ payload: { text: 'payload' }, result: { text: 'result' } });
    expect(job).not.toHaveProperty('payloadRef');
    expect(job).not.toHaveProperty('resultRef');
  });

  test('a list shows payloads and results moved out for room, but not results over 200 KB', async () => {
    const second = '01JD0000000000000000000010';
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ n: 1 }));
    bucket.objects.set(resultKey(JOB_ID), JSON.stringify({ small: true }));
    bucket.objects.set(resultKey(second), JSON.stringify({ huge: true }));
    const listed = [
      offloaded({ status: 'completed', resultRef: { key: resultKey(JOB_ID), bytes: 150 * KB } }),
      storedJob({
        PK: `JOB#${second}`,
        jobId: second,
        status: 'completed',
        resultRef: { key: resultKey(second), bytes: 300 * KB },
      }),
    ];
    dynamo.on(QueryCommand).resolves({ Items: listed });
    serveBatchGets(dynamo, listed);
    const body = parse((await route(httpEvent('GET /v1/jobs', '/v1/jobs'), apiDependencies())).body);
    expect(body.jobs[0]).toMatchObject({ payload: { n: 1 }, result: { small: true } });
    expect(body.jobs[1]).not.toHaveProperty('result');
    expect(body.jobs[1]).not.toHaveProperty('resultRef');
  });

  test('retrying a job answers its payload read back from S3', async () => {
    bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ n: 2 }));
    dynamo.on(GetCommand).resolves({ Item: offloaded({ status: 'failed', attempts: 3 }) });
    dynamo.on(UpdateCommand).resolves({ Attributes: offloaded({ status: 'queued', attempts: 0 }) });
    const result = await route(
      httpEvent('POST /v1/jobs/{jobId}/retry', `/v1/jobs/${JOB_ID}/retry`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(parse(result.body)).toMatchObject({ status: 'queued', payload: { n: 2 } });
  });
});
