import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import type { JobRecord } from '../../../lambdas/core/job';
import type { JobStatus } from '../../../lambdas/core/job-status';
import { jobItem, LIST_EXAMINE_BUDGET } from '../../../lambdas/core/job-store';
import { apiDependencies, NOW, storedJob } from '../support/api-dependencies';
import { conditionFailed, serveBatchGets } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';
import { decodeUpdate } from '../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const ADMIN_GROUPS = '[admin]';
const HELD = 'delayed, retrying, failed, cancelled';

/** A ULID-shaped job id, distinct per `n`. */
const jobIdOf = (n: number) => `01JD${String(n).padStart(22, '0')}`;

/** A stored job item with its real table and index keys (jobItem), as the table holds it. */
const job = (n: number, fields: Record<string, unknown> = {}): Record<string, unknown> => {
  const record = storedJob({
    jobId: jobIdOf(n),
    status: 'failed',
    attempts: 1,
    // One job a second, newest the highest n, unless a test gives createdAt.
    createdAt: new Date(Date.UTC(2026, 10, 20, 0, 0, n)).toISOString(),
    ...fields,
  });
  delete record.PK;
  delete record.SK;
  return jobItem(record as unknown as JobRecord);
};

/**
 * Serves Query on the status index from `items` as DynamoDB would: one partition, sorted
 * by GSI2SK (then PK) in the asked direction, from after ExclusiveStartKey, Limit entries,
 * LastEvaluatedKey when the page stopped at Limit; keys only.
 */
const serveStatusIndex = (items: readonly Record<string, unknown>[]) =>
  dynamo.on(QueryCommand, { IndexName: 'StatusJobs' }).callsFake((input: QueryCommandInput) => {
    const partition = input.ExpressionAttributeValues?.[':pk'];
    const order = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      `${a.GSI2SK}#${a.PK}` < `${b.GSI2SK}#${b.PK}` ? -1 : 1;
    const sorted = items.filter((item) => item.GSI2PK === partition).sort(order);
    if (input.ScanIndexForward === false) sorted.reverse();
    const start = input.ExclusiveStartKey;
    const from = start ? sorted.findIndex((item) => item.PK === start.PK) + 1 : 0;
    const page = sorted.slice(from, from + (input.Limit ?? sorted.length));
    const last = page.at(-1);
    const more = from + page.length < sorted.length || page.length === input.Limit;
    return {
      Items: page.map(({ PK, SK, GSI2PK, GSI2SK }) => ({ PK, SK, GSI2PK, GSI2SK })),
      LastEvaluatedKey:
        more && last ? { PK: last.PK, SK: last.SK, GSI2PK: last.GSI2PK, GSI2SK: last.GSI2SK } : undefined,
    };
  });

const serve = (items: readonly Record<string, unknown>[]) => {
  serveStatusIndex(items);
  serveBatchGets(dynamo, items);
};

/** `groups` '' is a signed-in user who is no admin. */
const search = (query: Record<string, string>, groups = ADMIN_GROUPS) =>
  route(
    httpEvent('GET /v1/admin/jobs', '/v1/admin/jobs', { query, user: 'admin-1', groups }),
    apiDependencies(),
  );

const bulkRetry = (body: unknown, groups = ADMIN_GROUPS) =>
  route(
    httpEvent('POST /v1/admin/jobs/retry', '/v1/admin/jobs/retry', { body, user: 'admin-1', groups }),
    apiDependencies(),
  );

const idsOf = (body: Record<string, unknown>) =>
  (body.jobs as { jobId: string }[]).map((listed) => listed.jobId);
const newestFirstIds = (items: readonly Record<string, unknown>[]) =>
  [...items]
    .sort((a, b) => (`${a.createdAt}#${a.jobId}` < `${b.createdAt}#${b.jobId}` ? 1 : -1))
    .map((item) => item.jobId);

/** Follows nextCursor from the first page to the last; every page's job ids, in order. */
const allPages = async (query: Record<string, string>) => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const reply = await search(cursor ? { ...query, cursor } : query);
    expect(reply.statusCode).toBe(200);
    const body = parse(reply.body);
    pages.push(idsOf(body));
    cursor = body.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
};

const statusQueries = () =>
  dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);

describe('GET /v1/admin/jobs by status', () => {
  test('merges the eight shards of the status newest first, across users', async () => {
    const items = Array.from({ length: 30 }, (_, n) => job(n, { userId: `user-${n % 3}` }));
    // The test means something only if the jobs are spread over several shards.
    expect(new Set(items.map((item) => item.GSI2PK)).size).toBeGreaterThan(4);
    serve(items);

    const reply = await search({ status: 'failed', limit: '100' });

    expect(reply.statusCode).toBe(200);
    const body = parse(reply.body);
    expect(idsOf(body)).toEqual(newestFirstIds(items));
    expect(body.nextCursor).toBeNull();
    const partitions = statusQueries().map((input) => input.ExpressionAttributeValues?.[':pk']);
    expect(new Set(partitions)).toEqual(
      new Set(Array.from({ length: 8 }, (_, shard) => `STATUS#failed#${shard}`)),
    );
    for (const input of statusQueries()) expect(input.ScanIndexForward).toBe(false);
  });

  test('jobs are listed exactly as GET /v1/jobs lists them (no owner, no internals)', async () => {
    const item = job(1, { userId: 'someone', error: { code: 'BOOM', message: 'no', retryable: false } });
    serve([item]);
    const listed = parse((await search({ status: 'failed' })).body).jobs;

    dynamo.reset();
    dynamo
      .on(QueryCommand, { IndexName: 'UserJobs' })
      .resolves({ Items: [{ PK: item.PK, GSI1SK: item.GSI1SK }] });
    serveBatchGets(dynamo, [item]);
    const own = parse(
      (await route(httpEvent('GET /v1/jobs', '/v1/jobs', { user: 'someone' }), apiDependencies())).body,
    ).jobs;

    expect(listed).toEqual(own);
    expect(listed[0]).not.toHaveProperty('userId');
    expect(listed[0]).not.toHaveProperty('GSI2PK');
  });

  test('paging with nextCursor visits every job once, newest first, ties in creation time included', async () => {
    const tied = '2026-11-20T00:00:05.000Z';
    const items = Array.from({ length: 23 }, (_, n) => job(n, n % 4 === 0 ? { createdAt: tied } : {}));
    serve(items);

    const pages = await allPages({ status: 'failed', limit: '5' });

    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().sort()).toEqual(items.map((item) => item.jobId).sort());
    const createdAt = new Map(items.map((item) => [item.jobId, String(item.createdAt)]));
    const times = pages.flat().map((id) => createdAt.get(id) as string);
    expect(times).toEqual([...times].sort().reverse());
  });

  test('a page resumes each shard after the last job it listed from it, and skips shards read to their end', async () => {
    const items = Array.from({ length: 40 }, (_, n) => job(n));
    const oldest = items.find((item) => item.jobId === jobIdOf(0)) as Record<string, unknown>;
    // The oldest job shares its shard with newer ones, so that shard has a position to resume from.
    expect(items.filter((item) => item.GSI2PK === oldest.GSI2PK).length).toBeGreaterThan(1);
    serve(items);
    const first = parse((await search({ status: 'failed', limit: '39' })).body);
    dynamo.resetHistory();

    const second = parse((await search({ status: 'failed', limit: '39', cursor: first.nextCursor })).body);

    expect(idsOf(second)).toEqual([oldest.jobId]);
    // Only the oldest job's shard still had a job; it continues there, and nowhere else.
    expect(statusQueries()).toEqual([
      expect.objectContaining({
        ExpressionAttributeValues: { ':pk': oldest.GSI2PK },
        ExclusiveStartKey: expect.objectContaining({ GSI2PK: oldest.GSI2PK }),
      }),
    ]);
    expect(second.nextCursor).toBeNull();
  });

  test('type and userId filter the jobs read, keeping the order', async () => {
    const items = Array.from({ length: 20 }, (_, n) =>
      job(n, { userId: n % 2 === 0 ? 'alice' : 'bob', type: n % 3 === 0 ? 'pdf.render' : 'system.simulate' }),
    );
    serve(items);

    const body = parse((await search({ status: 'failed', userId: 'alice', type: 'pdf.render' })).body);

    const expected = newestFirstIds(
      items.filter((item) => item.userId === 'alice' && item.type === 'pdf.render'),
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(idsOf(body)).toEqual(expected);
  });

  test('paging a filtered search visits every match once, though a page fills before its last read entries', async () => {
    const items = Array.from({ length: 30 }, (_, n) => job(n, { userId: n % 3 === 0 ? 'bob' : 'alice' }));
    serve(items);

    const pages = await allPages({ status: 'failed', userId: 'alice', limit: '3' });

    expect(pages.flat()).toEqual(newestFirstIds(items.filter((item) => item.userId === 'alice')));
    expect(pages.slice(0, -1).every((page) => page.length === 3)).toBe(true);
  });

  test('a job the index has not caught up with (moved on, or expired) is not listed under the old status', async () => {
    const listed = job(3);
    const retried = { ...job(2), status: 'queued' };
    const expired = job(1, { expiresAt: Math.floor(NOW.getTime() / 1000) - 1 });
    serveStatusIndex([listed, job(2), expired]);
    serveBatchGets(dynamo, [listed, retried, expired]);

    expect(idsOf(parse((await search({ status: 'failed' })).body))).toEqual([listed.jobId]);
  });

  test('a filter that matches rarely answers a short page with a cursor after LIST_EXAMINE_BUDGET entries', async () => {
    const items = Array.from({ length: LIST_EXAMINE_BUDGET + 200 }, (_, n) => job(n, { userId: 'bob' }));
    serve(items);

    const body = parse((await search({ status: 'failed', userId: 'alice' })).body);

    expect(body.jobs).toEqual([]);
    expect(body.nextCursor).toEqual(expect.any(String));
    const read = dynamo
      .commandCalls(BatchGetCommand)
      .flatMap((call) =>
        Object.values(call.args[0].input.RequestItems ?? {}).flatMap((request) => request.Keys ?? []),
      );
    expect(read).toHaveLength(LIST_EXAMINE_BUDGET);
  });
});

describe('GET /v1/admin/jobs without a status', () => {
  test('with a userId, it lists that user’s jobs of every status from the user index', async () => {
    const item = job(1, { userId: 'bob', status: 'completed' });
    dynamo
      .on(QueryCommand, { IndexName: 'UserJobs' })
      .resolves({ Items: [{ PK: item.PK, GSI1SK: item.GSI1SK }] });
    serveBatchGets(dynamo, [item]);

    const body = parse((await search({ userId: 'bob' })).body);

    expect(body.jobs).toEqual([expect.objectContaining({ jobId: item.jobId, status: 'completed' })]);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'UserJobs',
      ExpressionAttributeValues: { ':pk': 'USER#bob' },
    });
    expect(dynamo).not.toHaveReceivedCommandWith(QueryCommand, { IndexName: 'StatusJobs' });
  });

  test('without a userId, it merges every status the index holds, newest first, and pages through them', async () => {
    const statuses: JobStatus[] = ['delayed', 'retrying', 'failed', 'cancelled'];
    const items = Array.from({ length: 16 }, (_, n) => job(n, { status: statuses[n % 4] }));
    serve(items);

    const first = parse((await search({ limit: '10' })).body);
    expect(
      new Set(statusQueries().map((input) => String(input.ExpressionAttributeValues?.[':pk']).split('#')[1])),
    ).toEqual(new Set(statuses));
    expect(statusQueries()).toHaveLength(32);
    const second = parse((await search({ limit: '10', cursor: first.nextCursor })).body);

    expect([...idsOf(first), ...idsOf(second)]).toEqual(newestFirstIds(items));
    expect(second.nextCursor).toBeNull();
  });
});

describe('GET /v1/admin/jobs refusals', () => {
  test.each(['completed', 'queued', 'processing'])(
    'status %s is not in the status index: 400 naming the statuses it holds, nothing read',
    async (status) => {
      const reply = await search({ status, userId: 'bob' });
      expect(reply.statusCode).toBe(400);
      const { error } = parse(reply.body);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toContain(HELD);
      expect(error.details).toEqual({ fields: [{ field: 'status', message: `must be one of ${HELD}` }] });
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  test.each([
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit 101', { limit: '101' }, 'limit'],
    ['a limit that is not a number', { limit: 'ten' }, 'limit'],
    ['an unknown status', { status: 'lost' }, 'status'],
    ['a user id no token could carry', { userId: 'a#b' }, 'userId'],
    ['an unknown parameter', { owner: 'bob' }, 'owner'],
  ])('%s is a 400 naming the field', async (_case, query, field) => {
    const reply = await search(query);
    expect(reply.statusCode).toBe(400);
    const { error } = parse(reply.body);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details.fields.map((issue: { field: string }) => issue.field)).toContain(field);
  });

  test('a non-admin gets 403 and nothing is read', async () => {
    const reply = await search({ status: 'failed' }, '');
    expect(reply.statusCode).toBe(403);
    expect(parse(reply.body).error.code).toBe('FORBIDDEN');
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('status search cursors', () => {
  const cursorOf = async (query: Record<string, string>) => {
    serve(Array.from({ length: 6 }, (_, n) => job(n)));
    const cursor = parse((await search(query)).body).nextCursor as string;
    dynamo.reset();
    return cursor;
  };
  const text = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');
  const encode = (plain: string) => Buffer.from(plain, 'utf8').toString('base64url');

  test('are opaque base64url text that names no table key', async () => {
    const cursor = await cursorOf({ status: 'failed', limit: '2' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text(cursor)).not.toMatch(/STATUS#|JOB#|GSI/);
  });

  test.each<[string, (cursor: string) => string, Record<string, string>]>([
    ['a cursor of another status', (cursor) => cursor, { status: 'cancelled' }],
    ['a cursor of the all-status search', (cursor) => cursor, {}],
    [
      'a job id outside the ULID alphabet',
      (cursor) => encode(text(cursor).replace(/\.01JD/, '.01JU')),
      { status: 'failed' },
    ],
    ['a position dropped', (cursor) => encode(text(cursor).replace(/,[^,]*$/, '')), { status: 'failed' }],
    [
      'a non-canonical time',
      (cursor) => encode(text(cursor).replace(/([|,])([0-9a-z]+)\./, '$10$2.')),
      { status: 'failed' },
    ],
    [
      'the same cursor padded',
      (cursor) => `${Buffer.from(text(cursor)).toString('base64')}==`,
      { status: 'failed' },
    ],
    [
      'a GET /v1/jobs cursor',
      () => encode('2026-11-23T10:00:00.000Z#01JD0000000000000000000000'),
      { status: 'failed' },
    ],
    ['garbage', () => '!!!', { status: 'failed' }],
  ])('%s is a 400 naming the cursor, and nothing is read', async (_case, tamper, query) => {
    const cursor = tamper(await cursorOf({ status: 'failed', limit: '2' }));
    const reply = await search({ ...query, cursor });
    expect(reply.statusCode).toBe(400);
    expect(parse(reply.body).error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'The cursor is invalid.',
      details: { fields: [{ field: 'cursor', message: 'not a cursor this API returned' }] },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('POST /v1/admin/jobs/retry', () => {
  /** Answers each job's retry write with the job queued again (as ReturnValues ALL_NEW would). */
  const acceptRetries = (items: readonly Record<string, unknown>[]) =>
    dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      const item = items.find((candidate) => candidate.PK === input.Key?.PK);
      return { Attributes: { ...item, status: 'queued', attempts: 0 } };
    });
  const retriedIds = () =>
    dynamo.commandCalls(UpdateCommand).map((call) => String(call.args[0].input.Key?.PK).slice('JOB#'.length));

  test('re-queues each matching job as /retry does: conditional on its status and attempts, attempts back to 0, out of the status index', async () => {
    const items = [job(1, { attempts: 3, error: { code: 'X', message: 'x', retryable: true } })];
    serve(items);
    acceptRetries(items);

    const reply = await bulkRetry({ status: 'failed' });

    expect(reply.statusCode).toBe(202);
    expect(parse(reply.body)).toEqual({ retried: 1 });
    const update = decodeUpdate(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input);
    expect(update.condition).toBe(
      'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
    );
    expect(update.values).toMatchObject({ ':from0': 'failed', ':expectedAttempts': 3 });
    expect(update.set).toMatchObject({ status: 'queued', attempts: 0 });
    expect(update.remove).toEqual(expect.arrayContaining(['GSI2PK', 'GSI2SK', 'error', 'expiresAt']));
  });

  test('a job that changed meanwhile is skipped and not counted', async () => {
    const items = Array.from({ length: 5 }, (_, n) => job(n));
    serve(items);
    acceptRetries(items);
    dynamo.on(UpdateCommand, { Key: { PK: items[2]?.PK, SK: 'JOB' } }).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { ...items[2], status: 'queued', attempts: 0 } });

    const reply = await bulkRetry({ status: 'failed' });

    expect(reply.statusCode).toBe(202);
    expect(parse(reply.body)).toEqual({ retried: 4 });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(5);
  });

  test('a write the table refuses (throttled) is not counted; what was re-queued is the answer', async () => {
    const items = Array.from({ length: 5 }, (_, n) => job(n));
    serve(items);
    acceptRetries(items);
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    dynamo.on(UpdateCommand, { Key: { PK: items[1]?.PK, SK: 'JOB' } }).rejects(throttled);

    const reply = await bulkRetry({ status: 'failed' });

    expect(reply.statusCode).toBe(202);
    expect(parse(reply.body)).toEqual({ retried: 4 });
  });

  test('when the table refuses every write, the answer is a 500 in the contract shape, naming nothing internal', async () => {
    const items = Array.from({ length: 3 }, (_, n) => job(n));
    serve(items);
    dynamo.on(UpdateCommand).rejects(
      Object.assign(new Error('Throughput exceeds the current capacity of your table.'), {
        name: 'ThrottlingException',
      }),
    );

    const reply = await bulkRetry({ status: 'failed' });

    expect(reply.statusCode).toBe(500);
    expect(parse(reply.body).error.code).toBe('INTERNAL_ERROR');
    expect(reply.body).not.toMatch(/Throttling|capacity|table/i);
  });

  test('limit bounds the jobs retried, newest first; the default is 100', async () => {
    const items = Array.from({ length: 130 }, (_, n) => job(n));
    serve(items);
    acceptRetries(items);

    expect(parse((await bulkRetry({ status: 'failed', limit: 3 })).body)).toEqual({ retried: 3 });
    expect(retriedIds().sort()).toEqual(newestFirstIds(items).slice(0, 3).sort());

    dynamo.resetHistory();
    expect(parse((await bulkRetry({ status: 'failed' })).body)).toEqual({ retried: 100 });
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(100);
  });

  test('type and priority (a band name, or an exact value) choose the jobs', async () => {
    const items = [
      job(1, { type: 'pdf.render', priority: 'high', priorityValue: 13 }),
      job(2, { type: 'pdf.render', priority: 'high', priorityValue: 10 }),
      job(3, { type: 'pdf.render', priority: 'low', priorityValue: 1 }),
      job(4, { type: 'system.simulate', priority: 'high', priorityValue: 13 }),
    ];
    serve(items);
    acceptRetries(items);

    expect(parse((await bulkRetry({ status: 'failed', type: 'pdf.render', priority: 'high' })).body)).toEqual(
      {
        retried: 2,
      },
    );
    expect(retriedIds().sort()).toEqual([jobIdOf(1), jobIdOf(2)]);

    dynamo.resetHistory();
    expect(parse((await bulkRetry({ status: 'failed', priority: 13 })).body)).toEqual({ retried: 2 });
    expect(retriedIds().sort()).toEqual([jobIdOf(1), jobIdOf(4)]);
  });

  test('cancelled jobs are read from the cancelled partitions', async () => {
    const items = [job(1, { status: 'cancelled' })];
    serve(items);
    acceptRetries(items);

    expect(parse((await bulkRetry({ status: 'cancelled' })).body)).toEqual({ retried: 1 });
    for (const input of statusQueries()) {
      expect(String(input.ExpressionAttributeValues?.[':pk'])).toMatch(/^STATUS#cancelled#[0-7]$/);
    }
    expect(decodeUpdate(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).values).toMatchObject({
      ':from0': 'cancelled',
    });
  });

  test('the admin’s own submission limit is not spent (limit bounds a call instead)', async () => {
    const items = Array.from({ length: 3 }, (_, n) => job(n));
    serve(items);
    acceptRetries(items);

    await bulkRetry({ status: 'failed' });

    const written = dynamo.commandCalls(UpdateCommand).map((call) => String(call.args[0].input.Key?.PK));
    expect(written.every((key) => key.startsWith('JOB#'))).toBe(true);
  });

  test.each([
    ['limit 0', { status: 'failed', limit: 0 }, 'limit'],
    ['limit 1001', { status: 'failed', limit: 1001 }, 'limit'],
    ['a fractional limit', { status: 'failed', limit: 1.5 }, 'limit'],
    ['no status', {}, 'status'],
    ['a status /retry does not accept', { status: 'completed' }, 'status'],
    ['priority 21', { status: 'failed', priority: 21 }, 'priority'],
    ['an unknown field', { status: 'failed', userId: 'bob' }, 'userId'],
  ])('%s is a 400 naming the field, and nothing is read', async (_case, body, field) => {
    const reply = await bulkRetry(body);
    expect(reply.statusCode).toBe(400);
    const { error } = parse(reply.body);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details.fields.map((issue: { field: string }) => issue.field)).toContain(field);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('limit 1000 is accepted', async () => {
    serve([]);
    expect((await bulkRetry({ status: 'failed', limit: 1000 })).statusCode).toBe(202);
  });

  test('a non-admin gets 403 before the body is looked at, and nothing is read or written', async () => {
    const reply = await route(
      httpEvent('POST /v1/admin/jobs/retry', '/v1/admin/jobs/retry', { rawBody: 'not json', user: 'bob' }),
      apiDependencies(),
    );
    expect(reply.statusCode).toBe(403);
    expect(parse(reply.body).error.code).toBe('FORBIDDEN');
    expect(dynamo.calls()).toHaveLength(0);
  });
});
