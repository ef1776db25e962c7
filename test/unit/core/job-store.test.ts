import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import type { JobEvent, JobRecord } from '../../../lambdas/core/job';
import {
  DEFAULT_RETENTION,
  IDEMPOTENCY_WINDOW_SECONDS,
  isExpired,
  JobStore,
  toJobRecord,
} from '../../../lambdas/core/job-store';
import { keys } from '../../../lambdas/core/table-keys';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed, transactionCancelled } from '../support/aws';

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
    GSI2PK: keys.statusIndexPartition('queued', JOB_ID),
    GSI2SK: '2026-11-29T09:59:00.000Z',
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
  const indexed = (jobId: string, createdAt = '2026-11-29T09:00:00.000Z') => ({
    ...storedJob({ jobId, createdAt }),
    PK: `JOB#${jobId}`,
    GSI1PK: 'USER#user-1',
    GSI1SK: `${createdAt}#${jobId}`,
  });

  test('queries the user index newest first, hiding expired jobs, twice the page size but at least 25', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [indexed('j1')] });
    const page = await store.listForUser({ userId: 'user-1', limit: 5 });
    expect(page).toEqual({ jobs: [toJobRecord(indexed('j1'))] });
    expect(page).not.toHaveProperty('lastSortKey');
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        FilterExpression: '(attribute_not_exists(expiresAt) OR expiresAt > :now)',
        ExpressionAttributeNames: undefined,
        ExpressionAttributeValues: { ':pk': 'USER#user-1', ':now': NOW_SECONDS },
        ScanIndexForward: false,
        Limit: 25,
        ExclusiveStartKey: undefined,
      },
    ]);
  });

  test.each([
    [12, 25],
    [13, 26],
    [50, 100],
  ])('a page of %p reads up to %p index entries per query', async (limit, read) => {
    dynamo.on(QueryCommand).resolves({});
    await expect(store.listForUser({ userId: 'user-1', limit })).resolves.toEqual({ jobs: [] });
    expect(queries()[0]?.Limit).toBe(read);
  });

  test('status and type filters are added to the filter expression', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.listForUser({ userId: 'user-1', limit: 5, status: 'failed', type: 'email.send' });
    expect(queries()[0]).toMatchObject({
      FilterExpression:
        '(attribute_not_exists(expiresAt) OR expiresAt > :now) AND #status = :status AND #type = :type',
      ExpressionAttributeNames: { '#status': 'status', '#type': 'type' },
      ExpressionAttributeValues: {
        ':pk': 'USER#user-1',
        ':now': NOW_SECONDS,
        ':status': 'failed',
        ':type': 'email.send',
      },
    });
  });

  test('a type filter alone names only the type', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await store.listForUser({ userId: 'user-1', limit: 5, type: 'email.send' });
    expect(queries()[0]?.FilterExpression).toBe(
      '(attribute_not_exists(expiresAt) OR expiresAt > :now) AND #type = :type',
    );
    expect(queries()[0]?.ExpressionAttributeNames).toEqual({ '#type': 'type' });
    expect(queries()[0]?.ExpressionAttributeValues).not.toHaveProperty(':status');
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

  test('keeps querying while pages come back short, and stops at a full page with a cursor', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [indexed('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ LastEvaluatedKey: { PK: 'JOB#j1b' } })
      .resolvesOnce({ Items: [indexed('j2'), indexed('j3'), indexed('j4')] });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect(page.lastSortKey).toBe('2026-11-29T09:00:00.000Z#j3');
    expect(queries().map((input) => input.ExclusiveStartKey)).toEqual([
      undefined,
      { PK: 'JOB#j1' },
      { PK: 'JOB#j1b' },
    ]);
  });

  test('a page filled from the index’s last query page, taken whole, has no cursor', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [indexed('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ Items: [indexed('j2'), indexed('j3')] });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page.jobs.map((found) => found.jobId)).toEqual(['j1', 'j2', 'j3']);
    expect(page.lastSortKey).toBeUndefined();
  });

  test('a full page that was the last one, taken whole, has no cursor', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [indexed('j1'), indexed('j2')] });
    const page = await store.listForUser({ userId: 'user-1', limit: 2 });
    expect(page.jobs).toHaveLength(2);
    expect(page.lastSortKey).toBeUndefined();
  });

  test('a full page with more to read in the index has a cursor', async () => {
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [indexed('j1'), indexed('j2')], LastEvaluatedKey: { PK: 'JOB#j2' } });
    const page = await store.listForUser({ userId: 'user-1', limit: 2 });
    expect(page.lastSortKey).toBe('2026-11-29T09:00:00.000Z#j2');
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  test('the last page, short of the limit, ends the list', async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [indexed('j1')], LastEvaluatedKey: { PK: 'JOB#j1' } })
      .resolvesOnce({ Items: [indexed('j2')] });
    const page = await store.listForUser({ userId: 'user-1', limit: 3 });
    expect(page).toEqual({ jobs: [toJobRecord(indexed('j1')), toJobRecord(indexed('j2'))] });
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
          'SET #s0 = :s0, #s1 = :s1, #s2 = :s2, #s3 = :s3, #s4 = :s4, #s5 = :s5, ' +
          '#events = list_append(if_not_exists(#events, :empty), :events) ADD #version :one REMOVE #r0',
        ConditionExpression: 'attribute_exists(PK) AND #status IN (:from0) AND #attempts = :expectedAttempts',
        ExpressionAttributeNames: {
          '#events': 'events',
          '#version': 'version',
          '#s0': 'status',
          '#s1': 'updatedAt',
          '#s2': 'GSI2PK',
          '#s3': 'attempts',
          '#s4': 'startedAt',
          '#s5': 'leaseUntil',
          '#r0': 'expiresAt',
          '#status': 'status',
          '#attempts': 'attempts',
        },
        ExpressionAttributeValues: {
          ':one': 1,
          ':empty': [],
          ':s0': 'processing',
          ':s1': AT,
          ':s2': keys.statusIndexPartition('processing', JOB_ID),
          ':s3': 1,
          ':s4': AT,
          ':s5': LEASE,
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
      const input = updates()[0];
      const names = input?.ExpressionAttributeNames ?? {};
      const values = input?.ExpressionAttributeValues ?? {};
      expect(names['#s3']).toBe('expiresAt');
      expect(values[':s3']).toBe(AT_SECONDS + days * DAY);
      expect(input?.UpdateExpression).toMatch(/ ADD #version :one REMOVE #r0, #r1, #r2$/);
      expect([0, 1, 2].map((index) => names[`#r${index}`])).toEqual([
        'progress',
        'leaseUntil',
        'cancelRequested',
      ]);
      expect(names).not.toHaveProperty('#r3');
      expect(input?.ConditionExpression).toBe('attribute_exists(PK) AND #status IN (:from0)');
      expect(names).not.toHaveProperty('#attempts');
      expect(values).not.toHaveProperty(':expectedAttempts');
    },
  );

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
    expect(updates().map((input) => input.ExpressionAttributeValues?.[':s3'])).toEqual([
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
    const input = updates()[0];
    const names = input?.ExpressionAttributeNames ?? {};
    const values = input?.ExpressionAttributeValues ?? {};
    expect([names['#s3'], values[':s3']]).toEqual(['error', error]);
    expect([names['#s4'], values[':s4']]).toEqual(['runAt', LEASE]);
    expect(values[':events']).toEqual([{ at: AT, from: 'processing', to: 'retrying', attempt: 1, error }]);
    expect([0, 1].map((index) => names[`#r${index}`])).toEqual(['expiresAt', 'leaseUntil']);
    expect(names).not.toHaveProperty('#r2');
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
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    await store.transition({ ...start, from: ['queued'], remove: ['startedAt'], set: { expiresAt: 99 } });
    const input = updates()[0];
    expect(input?.UpdateExpression).toBe(
      'SET #s0 = :s0, #s1 = :s1, #s2 = :s2, #s3 = :s3, ' +
        '#events = list_append(if_not_exists(#events, :empty), :events) ADD #version :one REMOVE #r0',
    );
    expect(input?.ExpressionAttributeNames?.['#r0']).toBe('startedAt');
    expect(input?.ExpressionAttributeValues?.[':s3']).toBe(99);

    dynamo.reset();
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    await store.transition({ ...start, from: ['queued'], set: { expiresAt: 99 } });
    expect(updates()[0]?.UpdateExpression).toBe(
      'SET #s0 = :s0, #s1 = :s1, #s2 = :s2, #s3 = :s3, ' +
        '#events = list_append(if_not_exists(#events, :empty), :events) ADD #version :one',
    );
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

  test('writes further attributes, then the progress', async () => {
    dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ status: 'processing' }) });
    const progress = { percent: 40, stage: 'render' };
    await store.renewLease(JOB_ID, 1, LEASE, { progress, set: { estimatedCompletionAt: LEASE } });
    const input = updates()[0];
    expect(input?.UpdateExpression).toBe(
      'SET leaseUntil = :leaseUntil, updatedAt = :updatedAt, #f0 = :f0, #f1 = :f1',
    );
    expect(input?.ExpressionAttributeNames).toEqual({
      '#status': 'status',
      '#attempts': 'attempts',
      '#f0': 'estimatedCompletionAt',
      '#f1': 'progress',
    });
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':f0': LEASE, ':f1': progress });
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
        IndexName: 'GSI2',
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
