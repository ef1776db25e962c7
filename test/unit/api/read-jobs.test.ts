import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { INLINE_RESULT_LIMIT_BYTES, payloadKey, resultKey } from '../../../lambdas/core/claim-check';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { serveBatchGets } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';
import { BucketFake } from '../support/s3-objects';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
let bucket: BucketFake;

beforeEach(() => {
  dynamo.reset();
  s3.reset();
  bucket = new BucketFake(s3);
});

const cursorOf = (position: string) => Buffer.from(position, 'utf8').toString('base64url');
const queries = () => dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
const NO_SUCH_JOB = { error: { code: 'NOT_FOUND', message: 'No such job.' } };

describe('GET /v1/jobs/{jobId}', () => {
  const getJob = (pathParameters?: Record<string, string>) =>
    route(httpEvent('GET /v1/jobs/{jobId}', '/v1/jobs/x', { pathParameters }), apiDependencies());

  // Together these hold every character of the id alphabet (Crockford base 32).
  test.each(['0123456789ABCDEFGHJKMNPQRS', 'TVWXYZ00000000000000000000', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ'])(
    'the id %s is looked up by its key',
    async (jobId) => {
      dynamo.on(GetCommand).resolves({ Item: storedJob({ jobId, PK: `JOB#${jobId}` }) });
      const result = await getJob({ jobId });
      expect(result.statusCode).toBe(200);
      expect(parse(result.body).jobId).toBe(jobId);
      expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
        TableName: 'jobs-test',
        Key: { PK: `JOB#${jobId}`, SK: 'JOB' },
      });
    },
  );

  test.each([
    ['25 characters', JOB_ID.slice(1)],
    ['27 characters', `${JOB_ID}0`],
    ['lower case', JOB_ID.toLowerCase()],
    ['an I', `${JOB_ID.slice(0, 25)}I`],
    ['an L', `${JOB_ID.slice(0, 25)}L`],
    ['an O', `${JOB_ID.slice(0, 25)}O`],
    ['a U', `${JOB_ID.slice(0, 25)}U`],
    ['a prefix before a valid id', `x${JOB_ID}`],
    ['a suffix after a valid id', `${JOB_ID}x`],
    ['an empty id', ''],
  ])('an id with %s is 404 without a lookup', async (_case, jobId) => {
    const result = await getJob({ jobId });
    expect(result.statusCode).toBe(404);
    expect(parse(result.body)).toEqual(NO_SUCH_JOB);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('no id at all is 404 without a lookup', async () => {
    const result = await getJob(undefined);
    expect(parse(result.body)).toEqual(NO_SUCH_JOB);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('a job that does not exist is 404 with the same body', async () => {
    dynamo.on(GetCommand).resolves({});
    const result = await getJob({ jobId: JOB_ID });
    expect(result.statusCode).toBe(404);
    expect(parse(result.body)).toEqual(NO_SUCH_JOB);
  });
});

describe('GET /v1/jobs', () => {
  const list = (query?: Record<string, string>) =>
    route(httpEvent('GET /v1/jobs', '/v1/jobs', { query }), apiDependencies());
  const position = (n: number) =>
    `2026-11-23T10:00:${String(n).padStart(2, '0')}.000Z#01JD00000000000000000000${String(n).padStart(2, '0')}`;
  const rows = (count: number) =>
    Array.from({ length: count }, (_, n) =>
      storedJob({ PK: `JOB#${position(n).slice(-26)}`, jobId: position(n).slice(-26), GSI1SK: position(n) }),
    );

  test('without a query: 20 jobs, a query of 40 rows of the caller’s index, and a cursor at the 20th', async () => {
    dynamo.on(QueryCommand).resolves({ Items: rows(25) });
    serveBatchGets(dynamo, rows(25));
    const result = await list();
    expect(result.statusCode).toBe(200);
    const body = parse(result.body);
    expect(body.jobs).toHaveLength(20);
    expect(body.jobs[19].jobId).toBe(position(19).slice(-26));
    expect(body.nextCursor).toBe(cursorOf(position(19)));
    const [query, ...more] = queries();
    expect(more).toHaveLength(0);
    expect(query).toMatchObject({
      TableName: 'jobs-test',
      IndexName: 'UserJobs',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': 'USER#user-1' },
      ScanIndexForward: false,
      Limit: 40,
    });
    expect(query?.ExclusiveStartKey).toBeUndefined();
  });

  test.each([
    ['1', 1, 25],
    ['30', 30, 60],
    ['100', 100, 200],
  ])('limit=%s answers at most %i jobs (query Limit %i)', async (limit, jobs, queryLimit) => {
    dynamo.on(QueryCommand).resolves({ Items: rows(jobs + 1) });
    serveBatchGets(dynamo, rows(jobs + 1));
    const body = parse((await list({ limit })).body);
    expect(body.jobs).toHaveLength(jobs);
    expect(body.nextCursor).toBe(cursorOf(position(jobs - 1)));
    expect(queries()[0]?.Limit).toBe(queryLimit);
  });

  test('type filters the query; status filters the jobs read', async () => {
    const failed = storedJob({
      PK: `JOB#${position(1).slice(-26)}`,
      jobId: position(1).slice(-26),
      status: 'failed',
      GSI1SK: position(1),
    });
    const queued = storedJob({
      PK: `JOB#${position(2).slice(-26)}`,
      jobId: position(2).slice(-26),
      status: 'queued',
      GSI1SK: position(2),
    });
    dynamo.on(QueryCommand).resolves({ Items: [queued, failed] });
    serveBatchGets(dynamo, [queued, failed]);
    const body = parse((await list({ status: 'failed', type: 'email.send' })).body);
    expect(body.jobs.map((job: { jobId: string }) => job.jobId)).toEqual([position(1).slice(-26)]);
    expect(body.nextCursor).toBeNull();
    expect(queries()[0]).toMatchObject({
      FilterExpression: '#type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':pk': 'USER#user-1', ':type': 'email.send' },
    });
  });

  test('a type of 100 characters is accepted', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    expect((await list({ type: 't'.repeat(100) })).statusCode).toBe(200);
  });

  test.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: '1.5' }],
    ['status', { status: 'sleeping' }],
    ['type', { type: '' }],
    ['type', { type: 't'.repeat(101) }],
    ['cursor', { cursor: '' }],
    ['cursor', { cursor: 'A'.repeat(513) }],
  ])('a bad %s is 400 "The list query is invalid." naming it, before any query', async (field, query) => {
    const result = await list(query);
    expect(result.statusCode).toBe(400);
    const { error } = parse(result.body);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toBe('The list query is invalid.');
    expect(error.details.fields.map((issue: { field: string }) => issue.field)).toEqual([field]);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('an unknown parameter (say, userId) is a 400 too; nothing is queried', async () => {
    const result = await list({ userId: 'someone-else' });
    expect(result.statusCode).toBe(400);
    expect(parse(result.body).error).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'The list query is invalid.',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('a cursor continues right after the position it names', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await list({ cursor: cursorOf(position(7)), limit: '5' });
    expect(parse(result.body)).toEqual({ jobs: [], nextCursor: null });
    expect(queries()[0]?.ExclusiveStartKey).toEqual({
      GSI1PK: 'USER#user-1',
      GSI1SK: position(7),
      PK: `JOB#${position(7).slice(-26)}`,
      SK: 'JOB',
    });
  });

  describe('results moved to S3 in a list', () => {
    const completed = (bytes: number) =>
      storedJob({
        status: 'completed',
        payload: undefined,
        payloadRef: { key: payloadKey(JOB_ID), bytes: 10 },
        resultRef: { key: resultKey(JOB_ID), bytes },
      });

    beforeEach(() => {
      bucket.objects.set(payloadKey(JOB_ID), JSON.stringify({ n: 1 }));
      bucket.objects.set(resultKey(JOB_ID), JSON.stringify({ r: 2 }));
    });

    test('a result of exactly the inline limit is read back into the list', async () => {
      dynamo.on(QueryCommand).resolves({ Items: [completed(INLINE_RESULT_LIMIT_BYTES)] });
      serveBatchGets(dynamo, [completed(INLINE_RESULT_LIMIT_BYTES)]);
      const [job] = parse((await list()).body).jobs;
      expect(job).toMatchObject({ payload: { n: 1 }, result: { r: 2 } });
      expect(job).not.toHaveProperty('resultRef');
    });

    test('a result one byte over the limit stays out; the payload is still read back', async () => {
      dynamo.on(QueryCommand).resolves({ Items: [completed(INLINE_RESULT_LIMIT_BYTES + 1)] });
      serveBatchGets(dynamo, [completed(INLINE_RESULT_LIMIT_BYTES + 1)]);
      const [job] = parse((await list()).body).jobs;
      expect(job).toMatchObject({ payload: { n: 1 } });
      expect(job).not.toHaveProperty('result');
      expect(job).not.toHaveProperty('resultRef');
    });

    test('a job with its result inline is listed as stored', async () => {
      const inline = storedJob({ status: 'completed', payload: { p: 1 }, result: { inline: true } });
      dynamo.on(QueryCommand).resolves({ Items: [inline] });
      serveBatchGets(dynamo, [inline]);
      const [job] = parse((await list()).body).jobs;
      expect(job).toMatchObject({ jobId: JOB_ID, payload: { p: 1 }, result: { inline: true } });
    });
  });
});

describe('GET /v1/jobs/{jobId}/items', () => {
  const items = (query?: Record<string, string>, pathParameters = { jobId: JOB_ID }) =>
    route(
      httpEvent('GET /v1/jobs/{jobId}/items', `/v1/jobs/${JOB_ID}/items`, { pathParameters, query }),
      apiDependencies(),
    );

  beforeEach(() => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
  });

  test('the first page queries 100 item rows of the job, in order; no more rows, no cursor', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        { PK: `JOB#${JOB_ID}`, SK: 'ITEM#000000', index: 0, status: 'completed', result: { score: 80 } },
        {
          PK: `JOB#${JOB_ID}`,
          SK: 'ITEM#000001',
          index: 1,
          status: 'failed',
          error: { code: 'X', message: 'bad', retryable: false },
        },
        { PK: `JOB#${JOB_ID}`, SK: 'ITEM#000002', index: 2, status: 'pending' },
      ],
    });
    const result = await items();
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({
      items: [
        { index: 0, status: 'completed', result: { score: 80 } },
        { index: 1, status: 'failed', error: { code: 'X', message: 'bad', retryable: false } },
        { index: 2, status: 'pending' },
      ],
      nextCursor: null,
    });
    const [query, ...more] = queries();
    expect(more).toHaveLength(0);
    expect(query).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `JOB#${JOB_ID}`, ':prefix': 'ITEM#' },
      ExclusiveStartKey: undefined,
      Limit: 100,
    });
  });

  test('a full page answers a cursor at its last index, which continues right after it', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [{ index: 41, status: 'pending' }],
      LastEvaluatedKey: { PK: `JOB#${JOB_ID}`, SK: 'ITEM#000041' },
    });
    const first = parse((await items()).body);
    expect(first).toEqual({ items: [{ index: 41, status: 'pending' }], nextCursor: cursorOf('41') });

    dynamo.resetHistory();
    await items({ cursor: first.nextCursor });
    expect(queries()[0]?.ExclusiveStartKey).toEqual({ PK: `JOB#${JOB_ID}`, SK: 'ITEM#000041' });
  });

  test('an item cursor at index 0 is a cursor like any other', async () => {
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [{ index: 0, status: 'pending' }], LastEvaluatedKey: { x: 1 } });
    expect(parse((await items()).body).nextCursor).toBe(cursorOf('0'));
  });

  test.each(['7', '999999'])('the cursor of index %s is accepted', async (index) => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await items({ cursor: cursorOf(index) });
    expect(parse(result.body)).toEqual({ items: [], nextCursor: null });
    expect(queries()[0]?.ExclusiveStartKey).toEqual({
      PK: `JOB#${JOB_ID}`,
      SK: `ITEM#${index.padStart(6, '0')}`,
    });
  });

  test.each([
    ['seven digits', cursorOf('1234567')],
    ['a prefix before the index', cursorOf('x12')],
    ['a suffix after the index', cursorOf('12x')],
    ['a negative index', cursorOf('-1')],
    ['a list position', cursorOf(`2026-11-23T10:00:00.000Z#${JOB_ID}`)],
    ['padded base64', Buffer.from('41').toString('base64')],
    ['no base64url at all', '!!'],
  ])('a cursor with %s is 400 naming the cursor; no item is queried', async (_case, cursor) => {
    const result = await items({ cursor });
    expect(result.statusCode).toBe(400);
    expect(parse(result.body)).toEqual({
      error: {
        code: 'VALIDATION_ERROR',
        message: 'The cursor is invalid.',
        details: { fields: [{ field: 'cursor', message: 'not a cursor this API returned' }] },
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });

  test("another user's job is 404 and its items are never queried", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'owner' }) });
    const result = await items();
    expect(parse(result.body)).toEqual(NO_SUCH_JOB);
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('GET /v1/jobs/{jobId}/events', () => {
  test('answers exactly the events of the job', async () => {
    const events = [
      { at: '2026-11-23T10:00:00.000Z', from: null, to: 'queued', attempt: 0 },
      { at: '2026-11-23T10:00:01.000Z', from: 'queued', to: 'cancelled', attempt: 0 },
    ];
    dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'cancelled', events }) });
    const result = await route(
      httpEvent('GET /v1/jobs/{jobId}/events', `/v1/jobs/${JOB_ID}/events`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({ events });
  });
});
