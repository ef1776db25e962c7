import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { requestHash } from '../../../lambdas/api/submit-jobs';
import { apiDependencies, JOB_ID, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed, serveBatchGets, transactionCancelled } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const submission = { type: 'system.simulate', payload: { durationMs: 100 } };

beforeEach(() => dynamo.reset());

const expectError = (result: Awaited<ReturnType<typeof route>>, status: number, code: string) => {
  expect(result.statusCode).toBe(status);
  const body = parse(result.body);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(result.body).not.toMatch(/arn:aws|Exception|at \w+ \(/);
  return body.error;
};

describe('POST /v1/jobs', () => {
  test('accepts a valid job: one rate-counter update and one conditional put, 202 queued', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const job = parse(result.body);
    expect(job).toMatchObject({
      type: 'system.simulate',
      status: 'queued',
      priority: 'normal',
      priorityValue: 5,
      attempts: 0,
      maxAttempts: 3,
      correlationId: 'request-1',
      createdAt: NOW.toISOString(),
    });
    expect(job.jobId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(job).not.toHaveProperty('userId');
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      ConditionExpression: 'attribute_not_exists(PK)',
      Item: expect.objectContaining({ PK: `JOB#${job.jobId}`, GSI1PK: 'USER#user-1', status: 'queued' }),
    });
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  test('a delay makes the job delayed until runAt; numeric priority picks its band', async () => {
    const body = { ...submission, delaySeconds: 120, priority: 12 };
    const job = parse(
      (await route(httpEvent('POST /v1/jobs', '/v1/jobs', { body }), apiDependencies())).body,
    );
    expect(job).toMatchObject({ status: 'delayed', priority: 'high', priorityValue: 12 });
    expect(job.runAt).toBe(new Date(NOW.getTime() + 120_000).toISOString());
  });

  test.each([
    ['malformed JSON', { rawBody: '{"type":' }, undefined],
    ['an unknown type', { body: { type: 'no.such', payload: {} } }, 'type'],
    [
      'a payload failing the type schema',
      { body: { type: 'system.simulate', payload: { steps: -1 } } },
      'payload.steps',
    ],
    ['a bad priority', { body: { ...submission, priority: 21 } }, 'priority'],
    ['a delay past the maximum', { body: { ...submission, delaySeconds: 604_801 } }, 'delaySeconds'],
    [
      'both delaySeconds and runAt',
      { body: { ...submission, delaySeconds: 1, runAt: NOW.toISOString() } },
      'runAt',
    ],
    ['an unknown field', { body: { ...submission, colour: 'red' } }, undefined],
  ])('400 VALIDATION_ERROR for %s, nothing written', async (_name, options, field) => {
    const result = await route(httpEvent('POST /v1/jobs', '/v1/jobs', options), apiDependencies());
    const error = expectError(result, 400, 'VALIDATION_ERROR');
    if (field) expect(error.details.fields.map((issue: { field: string }) => issue.field)).toContain(field);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('400 for an Idempotency-Key over 128 characters', async () => {
    const headers = { 'Idempotency-Key': 'k'.repeat(129) };
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, headers }),
      apiDependencies(),
    );
    expect(expectError(result, 400, 'VALIDATION_ERROR').details.fields[0].field).toBe('Idempotency-Key');
  });

  test('413 PAYLOAD_TOO_LARGE for a body over 256 KB, before parsing', async () => {
    const rawBody = JSON.stringify({ ...submission, metadata: { blob: 'x'.repeat(256 * 1024) } });
    const result = await route(httpEvent('POST /v1/jobs', '/v1/jobs', { rawBody }), apiDependencies());
    expectError(result, 413, 'PAYLOAD_TOO_LARGE');
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('429 RATE_LIMITED with Retry-After in whole seconds (1–60) when the window is full', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission }),
      apiDependencies(),
    );
    expectError(result, 429, 'RATE_LIMITED');
    // NOW is hh:mm:30, so the window reopens in 30 s.
    expect(result.headers?.['retry-after']).toBe('30');
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('401 when the authorizer passed no subject', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, user: null }),
      apiDependencies(),
    );
    expectError(result, 401, 'UNAUTHORIZED');
  });

  describe('Idempotency-Key', () => {
    const headers = { 'Idempotency-Key': 'order-42' };

    test('first use writes the job and the key in one transaction', async () => {
      dynamo.on(GetCommand).resolves({});
      const result = await route(
        httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, headers }),
        apiDependencies(),
      );
      expect(result.statusCode).toBe(202);
      expect(dynamo).toHaveReceivedCommandWith(TransactWriteCommand, {
        TransactItems: [
          expect.objectContaining({
            Put: expect.objectContaining({ Item: expect.objectContaining({ PK: 'IDEM#user-1#order-42' }) }),
          }),
          expect.objectContaining({
            Put: expect.objectContaining({ Item: expect.objectContaining({ SK: 'JOB' }) }),
          }),
        ],
      });
    });

    test('the same key and body answers 200 with the first job and writes nothing', async () => {
      dynamo
        .on(GetCommand, { Key: { PK: 'IDEM#user-1#order-42', SK: 'IDEM' } })
        .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(submission) } })
        .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
        .resolves({ Item: storedJob() });
      const result = await route(
        httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, headers }),
        apiDependencies(),
      );
      expect(result.statusCode).toBe(200);
      expect(parse(result.body).jobId).toBe(JOB_ID);
      expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
      expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
    });

    test('the same key with another body is 409 IDEMPOTENCY_CONFLICT', async () => {
      dynamo.on(GetCommand).resolves({ Item: { jobId: JOB_ID, requestHash: 'another-body' } });
      const result = await route(
        httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, headers }),
        apiDependencies(),
      );
      expectError(result, 409, 'IDEMPOTENCY_CONFLICT');
    });

    test('a concurrent first use that loses the transaction replays the winner', async () => {
      dynamo
        .on(GetCommand, { Key: { PK: 'IDEM#user-1#order-42', SK: 'IDEM' } })
        .resolvesOnce({})
        .resolves({ Item: { jobId: JOB_ID, requestHash: requestHash(submission) } })
        .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
        .resolves({ Item: storedJob() })
        .on(TransactWriteCommand)
        .rejects(transactionCancelled());
      const result = await route(
        httpEvent('POST /v1/jobs', '/v1/jobs', { body: submission, headers }),
        apiDependencies(),
      );
      expect(result.statusCode).toBe(200);
      expect(parse(result.body).jobId).toBe(JOB_ID);
    });
  });
});

describe('POST /v1/jobs/batch', () => {
  test('answers per entry in order: valid jobs accepted, invalid ones with their error', async () => {
    const body = {
      jobs: [submission, { type: 'no.such', payload: {} }, { ...submission, priority: 'critical' }],
    };
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', { body }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const { jobs } = parse(result.body);
    expect(jobs).toHaveLength(3);
    expect(jobs[0]).toMatchObject({ status: 'queued', priority: 'normal' });
    expect(jobs[1].error.code).toBe('VALIDATION_ERROR');
    expect(jobs[2]).toMatchObject({ status: 'queued', priority: 'critical' });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':count': 2 }),
    });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  test('more than 100 entries is a 400', async () => {
    const body = { jobs: Array.from({ length: 101 }, () => submission) };
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', { body }),
      apiDependencies(),
    );
    expect(expectError(result, 400, 'VALIDATION_ERROR').details.fields[0].field).toBe('jobs');
  });
});

describe('reading jobs', () => {
  const getJob = (id: string, user = 'user-1', groups?: string) =>
    route(
      httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${id}`, { pathParameters: { jobId: id }, user, groups }),
      apiDependencies(),
    );

  test('the owner reads the job without internal attributes', async () => {
    dynamo.on(GetCommand).resolves({
      Item: storedJob({ GSI1PK: 'USER#user-1', leaseUntil: 'x', watched: true, version: 4 }),
    });
    const result = await getJob(JOB_ID);
    expect(result.statusCode).toBe(200);
    const job = parse(result.body);
    expect(job.jobId).toBe(JOB_ID);
    // CONTRACT.md "Job": the version is the client's, to order pushes and snapshots.
    expect(job.version).toBe(4);
    for (const internal of ['PK', 'SK', 'GSI1PK', 'userId', 'events', 'leaseUntil', 'watched'])
      expect(job).not.toHaveProperty(internal);
  });

  test("another user's job answers 404 exactly like a missing one", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'someone-else' }) });
    const foreign = await getJob(JOB_ID);
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
    const missing = await getJob(JOB_ID);
    expectError(foreign, 404, 'NOT_FOUND');
    expect(foreign.body).toBe(missing.body);
  });

  test('an admin reads any job', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'someone-else' }) });
    expect((await getJob(JOB_ID, 'admin-1', '[admin]')).statusCode).toBe(200);
  });

  test('an expired (TTL passed, not yet deleted) job is gone', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: storedJob({ status: 'completed', expiresAt: NOW.getTime() / 1000 - 1 }) });
    expectError(await getJob(JOB_ID), 404, 'NOT_FOUND');
  });

  test('a malformed job id is an unknown job, and is never looked up', async () => {
    expectError(await getJob('not-a-ulid'), 404, 'NOT_FOUND');
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('events come oldest first from the job log', async () => {
    const events = [
      { at: '2026-11-23T10:00:00.000Z', from: null, to: 'queued', attempt: 0 },
      { at: '2026-11-23T10:00:01.000Z', from: 'queued', to: 'processing', attempt: 1 },
    ];
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', events }) });
    const result = await route(
      httpEvent('GET /v1/jobs/{jobId}/events', `/v1/jobs/${JOB_ID}/events`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(parse(result.body).events).toEqual(events);
  });

  test('listing queries only the caller’s index partition, newest first, and returns a cursor', async () => {
    const items = [0, 1, 2].map((n) =>
      storedJob({
        PK: `JOB#01JD00000000000000000000${n}0`,
        jobId: `01JD00000000000000000000${n}0`,
        GSI1SK: `2026-11-23T10:00:0${n}.000Z#01JD00000000000000000000${n}0`,
      }),
    );
    dynamo.on(QueryCommand).resolves({ Items: items, LastEvaluatedKey: { some: 'key' } });
    serveBatchGets(dynamo, items);
    const result = await route(
      httpEvent('GET /v1/jobs', '/v1/jobs', { query: { limit: '2' } }),
      apiDependencies(),
    );
    const body = parse(result.body);
    expect(body.jobs).toHaveLength(2);
    expect(typeof body.nextCursor).toBe('string');
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'UserJobs',
      ScanIndexForward: false,
      ExpressionAttributeValues: expect.objectContaining({ ':pk': 'USER#user-1' }),
    });
  });

  test.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ status: 'sleeping' }, 'status'],
    [{ cursor: 'forged-cursor' }, 'cursor'],
  ])('bad list query %p is a 400 naming %s', async (query, field) => {
    const result = await route(httpEvent('GET /v1/jobs', '/v1/jobs', { query }), apiDependencies());
    const error = expectError(result, 400, 'VALIDATION_ERROR');
    expect(error.details.fields.map((issue: { field: string }) => issue.field)).toContain(field);
  });
});

describe('cancel and retry', () => {
  const action = (name: 'cancel' | 'retry') =>
    route(
      httpEvent(`POST /v1/jobs/{jobId}/${name}`, `/v1/jobs/${JOB_ID}/${name}`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );

  test('a queued job is cancelled at once with a conditional transition', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob() });
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'cancelled' }) });
    const result = await action('cancel');
    expect(result.statusCode).toBe(202);
    expect(parse(result.body).status).toBe('cancelled');
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: expect.stringContaining('#status IN (:from0)'),
      ExpressionAttributeValues: expect.objectContaining({ ':from0': 'queued', ':expectedAttempts': 0 }),
    });
  });

  test('a running job gets cancelRequested and stays processing', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: storedJob({ status: 'processing', cancelRequested: true }) });
    const job = parse((await action('cancel')).body);
    expect(job).toMatchObject({ status: 'processing', cancelRequested: true });
  });

  test('cancelling a finished job is 409 INVALID_STATE with details.status', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'completed' }) });
    expect(expectError(await action('cancel'), 409, 'INVALID_STATE').details).toEqual({
      status: 'completed',
    });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('retrying a job that is not failed/cancelled is 409 INVALID_STATE', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing' }) });
    expect(expectError(await action('retry'), 409, 'INVALID_STATE').details).toEqual({
      status: 'processing',
    });
  });

  test('retrying a failed job queues it again with attempts reset to 0', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'failed', attempts: 3 }) });
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'queued', attempts: 0 }) });
    const result = await action('retry');
    expect(result.statusCode).toBe(202);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':from0': 'failed', ':expectedAttempts': 3 }),
    });
  });
});

describe('uploads', () => {
  test('a presigned PUT that signs content type and length', async () => {
    const body = { fileName: 'cv.pdf', contentType: 'application/pdf', bytes: 1234 };
    const result = await route(httpEvent('POST /v1/uploads', '/v1/uploads', { body }), apiDependencies());
    expect(result.statusCode).toBe(201);
    const grant = parse(result.body);
    expect(grant).toMatchObject({
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', 'content-length': '1234' },
      maxBytes: 10 * 1024 * 1024,
    });
    expect(grant.fileKey).toMatch(/^uploads\/user-1\/[0-9A-Z]{26}\/cv\.pdf$/);
    expect(grant.uploadUrl).toMatch(/X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost/);
  });

  test('a declared size over maxBytes is 413', async () => {
    const body = { fileName: 'cv.pdf', contentType: 'application/pdf', bytes: 10 * 1024 * 1024 + 1 };
    expectError(
      await route(httpEvent('POST /v1/uploads', '/v1/uploads', { body }), apiDependencies()),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  test('a file name with a path is a 400', async () => {
    const body = { fileName: '../etc/passwd', contentType: 'text/plain', bytes: 10 };
    expectError(
      await route(httpEvent('POST /v1/uploads', '/v1/uploads', { body }), apiDependencies()),
      400,
      'VALIDATION_ERROR',
    );
  });
});

test('an unknown route (the $default route) is 404 NOT_FOUND in the error shape', async () => {
  expectError(await route(httpEvent('$default', '/v2/nothing'), apiDependencies()), 404, 'NOT_FOUND');
});

test('an unexpected AWS failure is a 500 that reveals nothing internal', async () => {
  dynamo.on(GetCommand).rejects(
    Object.assign(new Error('User: arn:aws:sts::123:assumed-role/x is not authorized'), {
      name: 'AccessDeniedException',
    }),
  );
  const result = await route(
    httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${JOB_ID}`, { pathParameters: { jobId: JOB_ID } }),
    apiDependencies(),
  );
  expect(expectError(result, 500, 'INTERNAL_ERROR').message).not.toMatch(/arn|AccessDenied/);
});

describe('admin queue routes', () => {
  test.each([
    ['GET /v1/queues', '/v1/queues', undefined],
    ['POST /v1/queues/{priority}/pause', '/v1/queues/low/pause', 'low'],
    ['GET /v1/queues/{priority}/dlq', '/v1/queues/low/dlq', 'low'],
    ['POST /v1/queues/{priority}/dlq/purge', '/v1/queues/low/dlq/purge', 'low'],
  ])('%s is 403 FORBIDDEN for a non-admin, before touching anything', async (routeKey, path, priority) => {
    const result = await route(
      httpEvent(routeKey, path, { pathParameters: priority ? { priority } : undefined }),
      apiDependencies(),
    );
    expectError(result, 403, 'FORBIDDEN');
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('an unknown priority is 404 for an admin', async () => {
    const result = await route(
      httpEvent('POST /v1/queues/{priority}/pause', '/v1/queues/urgent/pause', {
        pathParameters: { priority: 'urgent' },
        user: 'admin-1',
        groups: '[admin]',
      }),
      apiDependencies(),
    );
    expectError(result, 404, 'NOT_FOUND');
  });
});

describe('purging dead letters', () => {
  test('ends a job still waiting on a purged message with PURGED; leaves others alone', async () => {
    const { mockClient: mockSdk } = await import('aws-sdk-client-mock');
    const { SQSClient, ReceiveMessageCommand, DeleteMessageBatchCommand } = await import(
      '@aws-sdk/client-sqs'
    );
    const sqs = mockSdk(SQSClient);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify({ jobId: JOB_ID, attempt: 2 }) },
          { MessageId: 'm2', ReceiptHandle: 'r2', Body: 'poison' },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'retrying', attempts: 1 }) });
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'failed', attempts: 1 }) });
    const result = await route(
      httpEvent('POST /v1/queues/{priority}/dlq/purge', '/v1/queues/normal/dlq/purge', {
        pathParameters: { priority: 'normal' },
        user: 'admin-1',
        groups: '[admin]',
      }),
      apiDependencies(),
    );
    expect(parse(result.body)).toEqual({ purged: 2 });
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':from0': 'retrying',
        ':s0': 'failed',
        ':s3': expect.objectContaining({ code: 'PURGED', retryable: false }),
      }),
    });
    sqs.restore();
  });
});
