import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { JobEvent, JobRecord } from '../../../lambdas/core/job';
import {
  DEFAULT_RETENTION,
  IDEMPOTENCY_WINDOW_SECONDS,
  isExpired,
  JobStore,
  LIST_EXAMINE_BUDGET,
  toJobRecord,
  UnprocessedWriteError,
} from '../../../lambdas/core/job-store';
import { keys } from '../../../lambdas/core/table-keys';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed, transactionCancelled } from '../support/aws';
import { decodeUpdate } from '../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const NOW = new Date('2026-11-29T10:00:00.000Z');
const NOW_SECONDS = Date.parse('2026-11-29T10:00:00.000Z') / 1000;
const AT = '2026-11-29T10:00:05.000Z';
const AT_SECONDS = Date.parse(AT) / 1000;
const DAY = 24 * 3600;
const store = new JobStore(client, 'jobs-test', { completedDays: 2, failedDays: 5 }, () => NOW);

const job = (fields: Record<string, unknown> = {}): JobRecord => toJobRecord(storedJob(fields));
const gets = () => dynamo.commandCalls(GetCommand).map((call) => call.args[0].input);
const updates = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const queries = () => dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);

beforeEach(() => dynamo.reset());

describe('constants and mapping helpers', () => {
  test('jobs stay 7 days after completing and 30 after failing; idempotency keys hold a day', () => {
    expect(DEFAULT_RETENTION).toEqual({ completedDays: 7, failedDays: 30 });
    expect(IDEMPOTENCY_WINDOW_SECONDS).toBe(86_400);
  });

  test('toJobRecord strips every table key attribute and keeps the job fields', () => {
    const record = toJobRecord({
      PK: 'JOB#j',
      SK: 'JOB',
      GSI1PK: 'USER#u',
      GSI1SK: 'x#j',
      GSI2PK: 'STATUS#failed#1',
      GSI2SK: 'x',
      LEASEPK: 'LEASE#1',
      LEASESK: 'y#j',
      requestHash: 'h',
      jobId: 'j',
      leaseUntil: 'z',
      events: [{ at: 'a', from: null, to: 'queued', attempt: 0 }],
    });
    expect(record).toEqual({
      jobId: 'j',
      leaseUntil: 'z',
      events: [{ at: 'a', from: null, to: 'queued', attempt: 0 }],
    });
  });

  test('toJobRecord gives a job without a log an empty one, and does not touch its input', () => {
    const item = { PK: 'JOB#j', jobId: 'j', events: 'corrupt' };
    expect(toJobRecord(item).events).toEqual([]);
    expect(toJobRecord({ jobId: 'j' }).events).toEqual([]);
    expect(item).toEqual({ PK: 'JOB#j', jobId: 'j', events: 'corrupt' });
  });

  test.each([
    [NOW_SECONDS - 1, true],
    [NOW_SECONDS, true],
    [NOW_SECONDS + 1, false],
    [String(NOW_SECONDS - 10), false],
    [undefined, false],
  ])('an item with expiresAt %p is expired: %p', (expiresAt, expired) => {
    expect(isExpired({ expiresAt }, NOW)).toBe(expired);
  });

  test('the sweep reads eight status shards', () => {
    expect(store.statusPartitions('failed')).toEqual(
      Array.from({ length: 8 }, (_, shard) => `STATUS#failed#${shard}`),
    );
  });
});

describe('create', () => {
  const newJob = job({ status: 'queued', createdAt: '2026-11-29T09:59:00.000Z' });
  const expectedItem = {
    PK: `JOB#${JOB_ID}`,
    SK: 'JOB',
    GSI1PK: 'USER#user-1',
    GSI1SK: `2026-11-29T09:59:00.000Z#${JOB_ID}`,
    ...newJob,
  };
  const claim = { userId: 'user-1', key: 'idem-1', requestHash: 'hash-1' };

  test('without an idempotency key: one conditional put of the job with its index keys', async () => {
    dynamo.on(PutCommand).resolves({});
    await expect(store.create(newJob)).resolves.toEqual({ outcome: 'created', job: newJob });
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'jobs-test', Item: expectedItem, ConditionExpression: 'attribute_not_exists(PK)' },
    ]);
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  test('a job delayed from the start enters the sparse status index; a queued one does not', async () => {
    dynamo.on(PutCommand).resolves({});
    const delayed = job({ status: 'delayed', createdAt: '2026-11-29T09:59:00.000Z' });
    await store.create(delayed);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      PK: `JOB#${JOB_ID}`,
      SK: 'JOB',
      GSI1PK: 'USER#user-1',
      GSI1SK: `2026-11-29T09:59:00.000Z#${JOB_ID}`,
      GSI2PK: keys.statusIndexPartition('delayed', JOB_ID),
      GSI2SK: '2026-11-29T09:59:00.000Z',
      ...delayed,
    });
    expect(expectedItem).not.toHaveProperty('GSI2PK');
  });

  test('with an idempotency key: the claim and the job in one transaction', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    await expect(store.create(newJob, claim)).resolves.toEqual({ outcome: 'created', job: newJob });
    expect(dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: 'jobs-test',
            Item: {
              PK: 'IDEM#user-1#idem-1',
              SK: 'IDEM',
              jobId: JOB_ID,
              requestHash: 'hash-1',
              expiresAt: NOW_SECONDS + 86_400,
            },
            ConditionExpression: 'attribute_not_exists(PK) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': NOW_SECONDS },
          },
        },
        {
          Put: {
            TableName: 'jobs-test',
            Item: expectedItem,
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  test('a key already used for the same request replays the job it points at', async () => {
    const existing = storedJob({ jobId: 'j-old', status: 'processing' });
    dynamo
      .on(TransactWriteCommand)
      .rejects(transactionCancelled())
      .on(GetCommand, { Key: keys.idempotency('user-1', 'idem-1') })
      .resolves({ Item: { jobId: 'j-old', requestHash: 'hash-1', expiresAt: NOW_SECONDS + 60 } })
      .on(GetCommand, { Key: keys.job('j-old') })
      .resolves({ Item: existing });
    await expect(store.create(newJob, claim)).resolves.toEqual({
      outcome: 'replayed',
      job: toJobRecord(existing),
    });
  });

  test('a cancelled transaction with no claim to replay is rethrown', async () => {
    const cancelled = transactionCancelled();
    dynamo.on(TransactWriteCommand).rejects(cancelled).on(GetCommand).resolves({});
    await expect(store.create(newJob, claim)).rejects.toBe(cancelled);
  });

  test('any other failure of the transaction is rethrown without reading the claim', async () => {
    dynamo.on(TransactWriteCommand).rejects(new Error('throttled'));
    await expect(store.create(newJob, claim)).rejects.toThrow('throttled');
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('findIdempotentJob', () => {
  const claim = { userId: 'user-1', key: 'k', requestHash: 'h' };
  const onClaim = (Item: Record<string, unknown> | undefined) =>
    dynamo.on(GetCommand, { Key: keys.idempotency('user-1', 'k') }).resolves({ Item });

  test('reads the claim consistently, then the job it points at', async () => {
    onClaim({ jobId: 'j1', requestHash: 'h', expiresAt: NOW_SECONDS + 1 });
    dynamo.on(GetCommand, { Key: keys.job('j1') }).resolves({ Item: storedJob({ jobId: 'j1' }) });
    await expect(store.findIdempotentJob(claim)).resolves.toEqual({
      outcome: 'replayed',
      job: job({ jobId: 'j1' }),
    });
    expect(gets()).toEqual([
      { TableName: 'jobs-test', Key: { PK: 'IDEM#user-1#k', SK: 'IDEM' }, ConsistentRead: true },
      { TableName: 'jobs-test', Key: { PK: 'JOB#j1', SK: 'JOB' }, ConsistentRead: true },
    ]);
  });

  test('an unused key is undefined', async () => {
    dynamo.on(GetCommand).resolves({});
    await expect(store.findIdempotentJob(claim)).resolves.toBeUndefined();
  });

  test('a claim whose window has ended counts as unused', async () => {
    onClaim({ jobId: 'j1', requestHash: 'h', expiresAt: NOW_SECONDS });
    await expect(store.findIdempotentJob(claim)).resolves.toBeUndefined();
    expect(gets()).toHaveLength(1);
  });

  test('the same key with another request body is a conflict, without reading the job', async () => {
    onClaim({ jobId: 'j1', requestHash: 'other', expiresAt: NOW_SECONDS + 1 });
    await expect(store.findIdempotentJob(claim)).resolves.toEqual({ outcome: 'conflict' });
    expect(gets()).toHaveLength(1);
  });

  test('a claim whose job is gone counts as unused', async () => {
    onClaim({ jobId: 'j1', requestHash: 'h' });
    dynamo.on(GetCommand, { Key: keys.job('j1') }).resolves({});
    await expect(store.findIdempotentJob(claim)).resolves.toBeUndefined();
  });

  test('a claim pointing at another user’s job answers conflict and reveals nothing', async () => {
    onClaim({ jobId: 'j1', requestHash: 'h' });
    dynamo.on(GetCommand, { Key: keys.job('j1') }).resolves({ Item: storedJob({ userId: 'user-2' }) });
    await expect(store.findIdempotentJob(claim)).resolves.toEqual({ outcome: 'conflict' });
  });
});

describe('get', () => {
  test('reads the job consistently by default and strips its keys', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ GSI1PK: 'USER#user-1', LEASEPK: 'LEASE#1' }) });
    await expect(store.get(JOB_ID)).resolves.toEqual(job());
    expect(gets()).toEqual([
      { TableName: 'jobs-test', Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' }, ConsistentRead: true },
    ]);
  });

  test('an eventually consistent read can be asked for', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob() });
    await store.get(JOB_ID, { consistent: false });
    expect(gets()[0]?.ConsistentRead).toBe(false);
  });

  test('a missing job and a job past its TTL are both undefined', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: storedJob({ expiresAt: NOW_SECONDS }) })
      .resolvesOnce({ Item: storedJob({ expiresAt: NOW_SECONDS + 1 }) });
    await expect(store.get(JOB_ID)).resolves.toBeUndefined();
    await expect(store.get(JOB_ID)).resolves.toBeUndefined();
    await expect(store.get(JOB_ID)).resolves.toMatchObject({ jobId: JOB_ID });
  });

  test('without a clock of its own, expiry is judged against the current time', async () => {
    const current = Math.floor(Date.now() / 1000);
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: storedJob({ expiresAt: current - 5 }) })
      .resolvesOnce({ Item: storedJob({ expiresAt: current + 3600 }) });
    const defaultStore = new JobStore(client, 'jobs-test');
    await expect(defaultStore.get(JOB_ID)).resolves.toBeUndefined();
    await expect(defaultStore.get(JOB_ID)).resolves.toMatchObject({ jobId: JOB_ID });
  });
});

describe('listForUser', () => {
  /** An entry of the user index: keys and the projected type only. */
  const entry = (jobId: string, createdAt = '2026-11-29T09:00:00.000Z') => ({
    PK: `JOB#${jobId}`,
    SK: 'JOB',
    GSI1PK: 'USER#user-1',
    GSI1SK: `${createdAt}#${jobId}`,
    type: 'system.simulate',
  });
  const stored = (jobId: string, fields: Record<string, unknown> = {}) => ({
    ...storedJob({ jobId, ...fields }),
    PK: `JOB#${jobId}`,
    SK: 'JOB',
    GSI1PK: 'USER#user-1',
    GSI1SK: `2026-11-29T09:00:00.000Z#${jobId}`,
  });
  /** Answers BatchGetItem from `table`, in reverse order (DynamoDB promises no order). */
  const serveJobs = (table: Record<string, Record<string, unknown>>) =>
    dynamo.on(BatchGetCommand).callsFake((input) => {
      const wanted = input.RequestItems['jobs-test'].Keys as { PK: string }[];
      return {
        Responses: {
          'jobs-test': wanted
            .map((key) => table[key.PK.slice('JOB#'.length)])
            .filter(Boolean)
            .reverse(),
        },
      };
    });
  const batchGets = () => dynamo.commandCalls(BatchGetCommand).map((call) => call.args[0].input);

  test('queries the user index newest first for keys, and reads the jobs with one BatchGetItem', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [entry('j1'), entry('j2')] });
    serveJobs({ j1: stored('j1'), j2: stored('j2') });
    const page = await store.listForUser({ userId: 'user-1', limit: 5 });
    expect(page).toEqual({ jobs: [toJobRecord(stored('j1')), toJobRecord(stored('j2'))] });
    expect(page).not.toHaveProperty('lastSortKey');
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        IndexName: 'UserJobs',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': 'USER#user-1' },
        ScanIndexForward: false,
        Limit: 25,
        ExclusiveStartKey: undefined,
      },
    ]);
    expect(batchGets()).toEqual([
      {
        RequestItems: {
          'jobs-test': {
            Keys: [
              { PK: 'JOB#j1', SK: 'JOB' },
              { PK: 'JOB#j2', SK: 'JOB' },
            ],
          },
        },
      },
    ]);
  });

  test('expired jobs, jobs gone meanwhile and other statuses are left out', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [entry('j1'), entry('j2'), entry('j3'), entry('j4')] });
    serveJobs({
      j1: stored('j1', { status: 'failed' }),
      j2: stored('j2', { status: 'failed', expiresAt: NOW_SECONDS }),
      j4: stored('j4', { status: 'completed' }),
    });
    const page = await store.listForUser({ userId: 'user-1', limit: 5, status: 'failed' });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1']);
    expect(page.lastSortKey).toBeUndefined();
  });

  test.each([
    [12, 25],
    [13, 26],
    [50, 100],
  ])('a page of %p reads up to %p index entries per query', async (limit, read) => {
    dynamo.on(QueryCommand).resolves({});
    await expect(store.listForUser({ userId: 'user-1', limit })).resolves.toEqual({ jobs: [] });
    expect(queries()[0]?.Limit).toBe(read);
    expect(dynamo).not.toHaveReceivedCommand(BatchGetCommand);
  });

  test('a type filter is applied in the index, which projects the type', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.listForUser({ userId: 'user-1', limit: 5, status: 'failed', type: 'email.send' });
    expect(queries()[0]).toMatchObject({
      FilterExpression: '#type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':pk': 'USER#user-1', ':type': 'email.send' },
    });
  });

  test('a later page starts at the index position of the previous page’s last job', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.listForUser({ userId: 'user-1', limit: 5, after: '2026-11-29T09:00:00.000Z#j7' });
    expect(queries()[0]?.ExclusiveStartKey).toEqual({
      GSI1PK: 'USER#user-1',
      GSI1SK: '2026-11-29T09:00:00.000Z#j7',
      PK: 'JOB#j7',
      SK: 'JOB',
    });
  });

  test('keeps querying while pages come back short, asking only for what is missing, and stops at a full page with a cursor', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [entry('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ LastEvaluatedKey: { PK: 'JOB#j1b' } })
      .resolvesOnce({ Items: [entry('j2'), entry('j3'), entry('j4')] });
    serveJobs({ j1: stored('j1'), j2: stored('j2'), j3: stored('j3'), j4: stored('j4') });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect(page.lastSortKey).toBe('2026-11-29T09:00:00.000Z#j3');
    expect(queries().map((input) => input.ExclusiveStartKey)).toEqual([
      undefined,
      { PK: 'JOB#j1' },
      { PK: 'JOB#j1b' },
    ]);
    const limits = queries().map((input) => input.Limit);
    expect(limits).toEqual([25, 25, 25]);
  });

  test('the query asks for twice what is still missing once that passes 25', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [entry('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ Items: [] });
    serveJobs({ j1: stored('j1') });
    await store.listForUser({ userId: 'user-1', limit: 40 });
    expect(queries().map((input) => input.Limit)).toEqual([80, 78]);
  });

  test('a page filled from the index’s last query page, taken whole, has no cursor', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [entry('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ Items: [entry('j2'), entry('j3')] });
    serveJobs({ j1: stored('j1'), j2: stored('j2'), j3: stored('j3') });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect(page.lastSortKey).toBeUndefined();
  });

  test('a full page with more to read in the index has a cursor at its last job', async () => {
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [entry('j1'), entry('j2')], LastEvaluatedKey: { PK: 'JOB#j2' } });
    serveJobs({ j1: stored('j1'), j2: stored('j2') });
    const page = await store.listForUser({ userId: 'user-1', limit: 2 });
    expect(page.lastSortKey).toBe('2026-11-29T09:00:00.000Z#j2');
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  test('a full page inside a query page has a cursor at its last job, even on the index’s last page', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [entry('j1'), entry('j2'), entry('j3')] });
    serveJobs({ j1: stored('j1'), j2: stored('j2'), j3: stored('j3') });
    const page = await store.listForUser({ userId: 'user-1', limit: 2 });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1', 'j2']);
    expect(page.lastSortKey).toBe('2026-11-29T09:00:00.000Z#j2');
  });

  test('the last page, short of the limit, ends the list', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [entry('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ Items: [entry('j2')] });
    serveJobs({ j1: stored('j1'), j2: stored('j2') });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page).toEqual({ jobs: [toJobRecord(stored('j1')), toJobRecord(stored('j2'))] });
  });

  test('a filter that matches rarely answers a short page with a cursor once the budget is examined', async () => {
    let served = 0;
    dynamo.on(QueryCommand).callsFake(() => {
      const items = Array.from({ length: 25 }, (_, index) => entry(`n${served + index}`));
      served += 25;
      return { Items: items, LastEvaluatedKey: { PK: 'more' } };
    });
    dynamo.on(BatchGetCommand).resolves({ Responses: { 'jobs-test': [] } });
    const page = await store.listForUser({ userId: 'user-1', limit: 5, status: 'failed' });
    expect(page.jobs).toEqual([]);
    expect(served).toBe(LIST_EXAMINE_BUDGET);
    expect(page.lastSortKey).toBe(`2026-11-29T09:00:00.000Z#n${LIST_EXAMINE_BUDGET - 1}`);
  });

  test('more than 100 entries are read 100 keys a request, unprocessed keys again', async () => {
    const entries = Array.from({ length: 130 }, (_, index) => entry(`k${String(index).padStart(3, '0')}`));
    dynamo.on(QueryCommand).resolves({ Items: entries });
    const table = Object.fromEntries(entries.map((e) => [e.PK.slice(4), stored(e.PK.slice(4))]));
    let first = true;
    dynamo.on(BatchGetCommand).callsFake((input) => {
      const wanted = input.RequestItems['jobs-test'].Keys as { PK: string }[];
      if (first) {
        first = false;
        const [held, ...served] = wanted;
        return {
          Responses: { 'jobs-test': served.map((key) => table[key.PK.slice(4)]) },
          UnprocessedKeys: { 'jobs-test': { Keys: [held] } },
        };
      }
      return { Responses: { 'jobs-test': wanted.map((key) => table[key.PK.slice(4)]) } };
    });
    const page = await store.listForUser({ userId: 'user-1', limit: 100 });
    expect(page.jobs).toHaveLength(100);
    expect(page.jobs[0]?.jobId).toBe('k000');
    expect(batchGets().map((input) => input.RequestItems?.['jobs-test']?.Keys?.length)).toEqual([100, 1, 30]);
  });

  test('a table that keeps leaving keys unprocessed fails the read rather than looping', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [entry('j1')] });
    dynamo.on(BatchGetCommand).resolves({
      Responses: { 'jobs-test': [] },
      UnprocessedKeys: { 'jobs-test': { Keys: [{ PK: 'JOB#j1', SK: 'JOB' }] } },
    });
    await expect(store.listForUser({ userId: 'user-1', limit: 5 })).rejects.toThrow(
      'The table kept refusing to read a page of jobs',
    );
    expect(dynamo).toHaveReceivedCommandTimes(BatchGetCommand, 5);
  });
});

describe('transition', () => {
  const LEASE = '2026-11-29T10:05:05.000Z';
  const start = {
    jobId: JOB_ID,
    from: ['queued'] as const,
    to: 'processing' as const,
    at: AT,
    expectedAttempts: 0,
    attempt: 1,
    set: { attempts: 1, startedAt: AT, leaseUntil: LEASE },
  };

  test('a job starting to run: one conditional update with the exact expression', async () => {
    const after = storedJob({
      status: 'processing',
      attempts: 1,
      GSI2PK: 'STATUS#processing#1',
    });
    dynamo.on(UpdateCommand).resolves({ Attributes: after });
    const result = await store.transition({ ...start, from: [...start.from] });
    expect(result).toEqual({ ok: true, job: toJobRecord(after) });
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
        UpdateExpression:
          'SET #s0 = :s0, #s1 = :s1, #s2 = :s2, #s3 = :s3, #s4 = :s4, ' +
          '#events = list_append(if_not_exists(#events, :empty), :events) ADD #version :one REMOVE #r0, #r1, #r2',
        ConditionExpression: 'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
        ExpressionAttributeNames: {
          '#events': 'events',
          '#version': 'version',
          '#s0': 'status',
          '#s1': 'updatedAt',
          '#s2': 'attempts',
          '#s3': 'startedAt',
          '#s4': 'leaseUntil',
          '#r0': 'GSI2PK',
          '#r1': 'GSI2SK',
          '#r2': 'expiresAt',
          '#status': 'status',
          '#attempts': 'attempts',
        },
        ExpressionAttributeValues: {
          ':one': 1,
          ':empty': [],
          ':s0': 'processing',
          ':s1': AT,
          ':s2': 1,
          ':s3': AT,
          ':s4': LEASE,
          ':events': [{ at: AT, from: 'queued', to: 'processing', attempt: 1 }],
          ':from0': 'queued',
          ':expectedAttempts': 0,
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  test('a transition the contract forbids is refused before any write', async () => {
    await expect(store.transition({ ...start, from: ['queued', 'completed'] })).rejects.toThrow(
      'Transition completed → processing is not allowed',
    );
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test.each([
    ['completed', 2, 'processing'],
    ['failed', 5, 'processing'],
    ['cancelled', 5, 'queued'],
  ] as const)(
    'moving to %s expires the job after %p days and drops its lease and cancel flag',
    async (to, days, from) => {
      dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: to }) });
      await store.transition({ jobId: JOB_ID, from: [from], to, at: AT, attempt: 1, remove: ['progress'] });
      const decoded = decodeUpdate(updates()[0]);
      expect(decoded.set.expiresAt).toBe(AT_SECONDS + days * DAY);
      expect(decoded.remove).toEqual(expect.arrayContaining(['progress', 'leaseUntil', 'cancelRequested']));
      expect(decoded.remove).not.toContain('expiresAt');
      expect(decoded.condition).toBe('attribute_exists(PK) AND #status IN (:from0)');
      expect(decoded.values).not.toHaveProperty(':expectedAttempts');
    },
  );

  test.each([
    ['completed', 'processing', false],
    ['failed', 'processing', true],
    ['cancelled', 'queued', true],
    ['retrying', 'processing', true],
    ['delayed', 'queued', false],
    ['queued', 'delayed', false],
    ['processing', 'retrying', false],
  ] as const)('a job moving to %s (from %s) is in the sparse status index: %p', async (to, from, indexed) => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: to }) });
    if (to === 'delayed') {
      // No transition enters `delayed` (a job is created delayed); the index keys come with the put.
      await expect(
        store.transition({ jobId: JOB_ID, from: [from], to, at: AT, attempt: 0 }),
      ).rejects.toThrow();
      return;
    }
    await store.transition({ jobId: JOB_ID, from: [from], to, at: AT, attempt: 1 });
    const decoded = decodeUpdate(updates()[0]);
    if (indexed) {
      expect(decoded.set.GSI2PK).toBe(keys.statusIndexPartition(to, JOB_ID));
      expect(decoded.copied).toEqual({ GSI2SK: 'createdAt' });
      expect(decoded.remove).not.toContain('GSI2PK');
    } else {
      expect(decoded.set).not.toHaveProperty('GSI2PK');
      expect(decoded.copied).toEqual({});
      expect(decoded.remove).toEqual(expect.arrayContaining(['GSI2PK', 'GSI2SK']));
    }
  });

  test('the default retention keeps a completed job 7 days and a failed one 30', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob() });
    const defaultStore = new JobStore(client, 'jobs-test');
    await defaultStore.transition({
      jobId: JOB_ID,
      from: ['processing'],
      to: 'completed',
      at: AT,
      attempt: 1,
    });
    await defaultStore.transition({ jobId: JOB_ID, from: ['processing'], to: 'failed', at: AT, attempt: 1 });
    expect(updates().map((input) => decodeUpdate(input).set.expiresAt)).toEqual([
      AT_SECONDS + 7 * DAY,
      AT_SECONDS + 30 * DAY,
    ]);
  });

  test('a job waiting again loses its expiry and its lease; an error is recorded on job and event', async () => {
    const error = { code: 'TIMEOUT', message: 'too slow', retryable: true };
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'retrying' }) });
    await store.transition({
      jobId: JOB_ID,
      from: ['processing'],
      to: 'retrying',
      at: AT,
      attempt: 1,
      error,
      set: { runAt: LEASE },
    });
    const decoded = decodeUpdate(updates()[0]);
    expect(decoded.set).toMatchObject({ error, runAt: LEASE });
    expect(decoded.values[':events']).toEqual([
      { at: AT, from: 'processing', to: 'retrying', attempt: 1, error },
    ]);
    expect(decoded.remove.sort()).toEqual(['expiresAt', 'leaseUntil']);
  });

  test('without an error neither the job nor the event gets one', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'queued' }) });
    await store.transition({ jobId: JOB_ID, from: ['delayed'], to: 'queued', at: AT, attempt: 0 });
    const values = updates()[0]?.ExpressionAttributeValues ?? {};
    expect(values[':events']).toEqual([{ at: AT, from: 'delayed', to: 'queued', attempt: 0 }]);
    expect(Object.values(updates()[0]?.ExpressionAttributeNames ?? {})).not.toContain('error');
  });

  test('from several statuses: the event has no single origin and the condition lists them all', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'cancelled' }) });
    await store.transition({
      jobId: JOB_ID,
      from: ['queued', 'delayed'],
      to: 'cancelled',
      at: AT,
      attempt: 0,
    });
    const input = updates()[0];
    expect(input?.ConditionExpression).toBe('attribute_exists(PK) AND #status IN (:from0, :from1)');
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':from0': 'queued', ':from1': 'delayed' });
    expect(input?.ExpressionAttributeValues?.[':events']).toEqual([
      { at: AT, from: null, to: 'cancelled', attempt: 0 },
    ]);
  });

  test('preceding events are logged first, in order', async () => {
    const preceding: JobEvent = { at: AT, from: 'delayed', to: 'queued', attempt: 0 };
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    await store.transition({ ...start, from: ['queued'], precedingEvents: [preceding] });
    expect(updates()[0]?.ExpressionAttributeValues?.[':events']).toEqual([
      preceding,
      { at: AT, from: 'queued', to: 'processing', attempt: 1 },
    ]);
  });

  test('a lost attempt’s transition also requires the lease it saw', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'retrying' }) });
    await store.transition({
      jobId: JOB_ID,
      from: ['processing'],
      to: 'retrying',
      at: AT,
      attempt: 1,
      expectedAttempts: 1,
      expectedLeaseUntil: LEASE,
    });
    const input = updates()[0];
    expect(input?.ConditionExpression).toBe(
      'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts AND #leaseUntil = :expectedLease',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({
      '#leaseUntil': 'leaseUntil',
      '#attempts': 'attempts',
    });
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':expectedLease': LEASE,
      ':expectedAttempts': 1,
    });
  });

  test('an attribute that is set is never also removed; with nothing to remove there is no REMOVE', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'retrying' }) });
    const retry = {
      jobId: JOB_ID,
      from: ['processing' as const],
      to: 'retrying' as const,
      at: AT,
      attempt: 1,
    };
    await store.transition({ ...retry, remove: ['startedAt', 'runAt'], set: { runAt: LEASE } });
    const decoded = decodeUpdate(updates()[0]);
    expect(decoded.remove).toContain('startedAt');
    expect(decoded.remove).not.toContain('runAt');
    expect(decoded.set.runAt).toBe(LEASE);

    dynamo.reset();
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'retrying' }) });
    await store.transition({
      ...retry,
      set: { expiresAt: 99, leaseUntil: 'x', LEASEPK: 'p', LEASESK: 's' },
    });
    expect(updates()[0]?.UpdateExpression).not.toContain('REMOVE');
  });

  test('a lost race answers not ok with the job as it now is, read consistently', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: storedJob({ status: 'cancelled' }) });
    await expect(store.transition({ ...start, from: ['queued'] })).resolves.toEqual({
      ok: false,
      current: job({ status: 'cancelled' }),
    });
    expect(gets()).toEqual([{ TableName: 'jobs-test', Key: keys.job(JOB_ID), ConsistentRead: true }]);
  });

  test('a lost race on a job that is gone answers not ok without a job', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed()).on(GetCommand).resolves({});
    const result = await store.transition({ ...start, from: ['queued'] });
    expect(result).toEqual({ ok: false, current: undefined });
  });

  test('any other failure is rethrown', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.transition({ ...start, from: ['queued'] })).rejects.toThrow('throttled');
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  test('a trim removes at most 150 entries per write', async () => {
    const events: JobEvent[] = Array.from({ length: 300 }, (_, index) => ({
      at: AT,
      from: null,
      to: 'queued',
      attempt: index,
    }));
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: storedJob({ status: 'processing', events }) })
      .resolves({});
    const result = await store.transition({ ...start, from: ['queued'] });
    const trim = updates()[1];
    expect(trim?.UpdateExpression).toBe(
      `REMOVE ${Array.from({ length: 150 }, (_, index) => `#events[${index + 1}]`).join(', ')}`,
    );
    expect(trim?.ExpressionAttributeNames).toEqual({ '#events': 'events' });
    expect(trim?.ExpressionAttributeValues).toEqual({ ':length': 300 });
    expect(trim?.TableName).toBe('jobs-test');
    expect(result.ok && result.job.events.map((event) => event.attempt)).toEqual([
      0,
      ...Array.from({ length: 149 }, (_, index) => 151 + index),
    ]);
  });
});

describe('requestCancel', () => {
  test('flags a running job in one conditional update', async () => {
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: storedJob({ status: 'processing', cancelRequested: true }) });
    await expect(store.requestCancel(JOB_ID, AT)).resolves.toEqual({
      ok: true,
      job: job({ status: 'processing', cancelRequested: true }),
    });
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
        UpdateExpression: 'SET cancelRequested = :true, updatedAt = :at ADD #version :one',
        ConditionExpression: 'attribute_exists(PK) AND #status = :processing',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':true': true, ':at': AT, ':processing': 'processing', ':one': 1 },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  test('a job no longer running answers not ok with its current state', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(conditionFailed())
      .on(GetCommand)
      .resolves({ Item: storedJob({ status: 'completed' }) });
    await expect(store.requestCancel(JOB_ID, AT)).resolves.toEqual({
      ok: false,
      current: job({ status: 'completed' }),
    });
  });

  test('any other failure is rethrown', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.requestCancel(JOB_ID, AT)).rejects.toThrow('throttled');
  });
});

describe('renewLease', () => {
  const LEASE = '2026-11-29T10:10:00.000Z';

  test('extends the lease of the running attempt', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    await expect(store.renewLease(JOB_ID, 2, LEASE)).resolves.toEqual({ cancelRequested: false });
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
        UpdateExpression: 'SET leaseUntil = :leaseUntil, updatedAt = :updatedAt',
        ConditionExpression: '#status = :processing AND #attempts = :attempt',
        ExpressionAttributeNames: { '#status': 'status', '#attempts': 'attempts' },
        ExpressionAttributeValues: {
          ':processing': 'processing',
          ':attempt': 2,
          ':leaseUntil': LEASE,
          ':updatedAt': NOW.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  test('writes further attributes, then the progress, and bumps the version (a change clients see)', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    const progress = { percent: 40, stage: 'render' };
    await store.renewLease(JOB_ID, 1, LEASE, { progress, set: { estimatedCompletionAt: LEASE } });
    const input = updates()[0];
    expect(input?.UpdateExpression).toBe(
      'SET leaseUntil = :leaseUntil, updatedAt = :updatedAt, #f0 = :f0, #f1 = :f1 ADD #version :one',
    );
    expect(input?.ExpressionAttributeNames).toEqual({
      '#status': 'status',
      '#attempts': 'attempts',
      '#f0': 'estimatedCompletionAt',
      '#f1': 'progress',
      '#version': 'version',
    });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':f0': LEASE, ':f1': progress, ':one': 1 });
  });

  test('reports a requested cancel, only when the flag is true', async () => {
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: storedJob({ cancelRequested: true }) })
      .resolvesOnce({ Attributes: storedJob({ cancelRequested: 'true' }) })
      .resolvesOnce({});
    await expect(store.renewLease(JOB_ID, 1, LEASE)).resolves.toEqual({ cancelRequested: true });
    await expect(store.renewLease(JOB_ID, 1, LEASE)).resolves.toEqual({ cancelRequested: false });
    await expect(store.renewLease(JOB_ID, 1, LEASE)).resolves.toEqual({ cancelRequested: false });
  });

  test('an attempt that no longer owns the job gets undefined; other failures are rethrown', async () => {
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    await expect(store.renewLease(JOB_ID, 1, LEASE)).resolves.toBeUndefined();
    await expect(store.renewLease(JOB_ID, 1, LEASE)).rejects.toThrow('throttled');
  });
});

describe('sweep queries', () => {
  test('findInStatusPartition reads up to limit job ids created before the given time, keys only', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ PK: 'JOB#j1' }, { PK: 'JOB#j2' }] });
    await expect(store.findInStatusPartition('STATUS#failed#3', AT, 50)).resolves.toEqual(['j1', 'j2']);
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        IndexName: 'StatusJobs',
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK < :before',
        ExpressionAttributeValues: { ':pk': 'STATUS#failed#3', ':before': AT },
        ProjectionExpression: 'PK',
        Limit: 50,
      },
    ]);
  });

  test('an empty status partition has no jobs', async () => {
    dynamo.on(QueryCommand).resolves({});
    await expect(store.findInStatusPartition('STATUS#failed#3', AT, 50)).resolves.toEqual([]);
  });
});

describe('recordRedispatch', () => {
  const waiting = job({ status: 'retrying', attempts: 2, updatedAt: AT });
  const marker = { at: '2026-11-29T10:30:00.000Z', attempt: 3 } as never;

  test('marks the job if it is still as the sweep saw it, without bumping its version', async () => {
    dynamo.on(UpdateCommand).resolves({});
    await expect(store.recordRedispatch(waiting, marker)).resolves.toBe(true);
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
        UpdateExpression: 'SET #redispatch = :marker',
        ConditionExpression: '#status = :status AND #attempts = :attempts AND #updatedAt = :since',
        ExpressionAttributeNames: {
          '#redispatch': 'redispatch',
          '#status': 'status',
          '#attempts': 'attempts',
          '#updatedAt': 'updatedAt',
        },
        ExpressionAttributeValues: { ':marker': marker, ':status': 'retrying', ':attempts': 2, ':since': AT },
      },
    ]);
  });

  test('a job that moved on meanwhile answers false; other failures are rethrown', async () => {
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    await expect(store.recordRedispatch(waiting, marker)).resolves.toBe(false);
    await expect(store.recordRedispatch(waiting, marker)).rejects.toThrow('throttled');
  });
});

describe('createMany', () => {
  const fresh = (n: number) =>
    job({ jobId: `J${String(n).padStart(3, '0')}`, status: 'queued', createdAt: '2026-11-29T09:59:00.000Z' });
  const writes = () => dynamo.commandCalls(BatchWriteCommand).map((call) => call.args[0].input);

  test('writes the jobs 25 to a request, each with its index keys and no condition', async () => {
    dynamo.on(BatchWriteCommand).resolves({});
    const jobs = Array.from({ length: 30 }, (_, n) => fresh(n));
    await expect(store.createMany(jobs)).resolves.toEqual(new Array(30).fill(undefined));
    expect(writes().map((input) => input.RequestItems?.['jobs-test']?.length)).toEqual([25, 5]);
    expect(writes()[1]?.RequestItems?.['jobs-test']?.[0]).toEqual({
      PutRequest: {
        Item: {
          PK: 'JOB#J025',
          SK: 'JOB',
          GSI1PK: 'USER#user-1',
          GSI1SK: '2026-11-29T09:59:00.000Z#J025',
          ...fresh(25),
        },
      },
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('puts left unprocessed are written again until none are left', async () => {
    const jobs = [fresh(1), fresh(2)];
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({
        UnprocessedItems: { 'jobs-test': [{ PutRequest: { Item: { PK: 'JOB#J002', jobId: 'J002' } } }] },
      })
      .resolvesOnce({});
    await expect(store.createMany(jobs)).resolves.toEqual([undefined, undefined]);
    expect(writes()[1]?.RequestItems).toEqual({
      'jobs-test': [{ PutRequest: { Item: { PK: 'JOB#J002', jobId: 'J002' } } }],
    });
  });

  test('puts the table keeps leaving unprocessed are answered as not saved, after five requests', async () => {
    dynamo.on(BatchWriteCommand).resolves({
      UnprocessedItems: { 'jobs-test': [{ PutRequest: { Item: { PK: 'JOB#J002', jobId: 'J002' } } }] },
    });
    const outcomes = await store.createMany([fresh(1), fresh(2)]);
    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(UnprocessedWriteError);
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 5);
  });

  test('a request that fails as a whole is saved job by job; a job already there counts as saved', async () => {
    const refusal = new Error('refused');
    dynamo
      .on(BatchWriteCommand)
      .rejects(refusal)
      .on(PutCommand, { Item: { jobId: 'J001' } })
      .rejects(conditionFailed())
      .on(PutCommand, { Item: { jobId: 'J002' } })
      .rejects(refusal)
      .on(PutCommand, { Item: { jobId: 'J003' } })
      .resolves({});
    await expect(store.createMany([fresh(1), fresh(2), fresh(3)])).resolves.toEqual([
      undefined,
      refusal,
      undefined,
    ]);
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.ConditionExpression)).toEqual([
      'attribute_not_exists(PK)',
      'attribute_not_exists(PK)',
      'attribute_not_exists(PK)',
    ]);
  });
});

describe('listForUser with a creation range (data.export)', () => {
  const FROM = '2026-11-01T00:00:00.000Z';
  const TO = '2026-11-30T23:59:59.999Z';

  test.each([
    [
      { createdFrom: FROM, createdTo: TO },
      'GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to',
      { ':from': FROM, ':to': `${TO}#~` },
    ],
    [{ createdFrom: FROM }, 'GSI1PK = :pk AND GSI1SK >= :from', { ':from': FROM }],
    [{ createdTo: TO }, 'GSI1PK = :pk AND GSI1SK <= :to', { ':to': `${TO}#~` }],
  ])(
    '%j is a key condition on the sort key, so nothing outside it is read',
    async (range, condition, values) => {
      dynamo.on(QueryCommand).resolves({ Items: [] });
      await store.listForUser({ userId: 'user-1', limit: 5, type: 'email.send', ...range });
      expect(queries()[0]).toMatchObject({
        IndexName: 'UserJobs',
        KeyConditionExpression: condition,
        ExpressionAttributeValues: { ':pk': 'USER#user-1', ':type': 'email.send', ...values },
        ScanIndexForward: false,
      });
    },
  );

  test('both bounds are inclusive: `<from>` sorts before and `<to>#~` after every key of their millisecond', () => {
    const key = (createdAt: string) => `${createdAt}#01JD0000000000000000000000`;
    expect(FROM <= key(FROM)).toBe(true);
    expect(key(TO) <= `${TO}#~`).toBe(true);
    expect(`${TO}#~` < key('2026-12-01T00:00:00.000Z')).toBe(true);
    expect(key('2026-10-31T23:59:59.999Z') < FROM).toBe(true);
  });
});
