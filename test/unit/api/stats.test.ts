import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { getStats, MAX_WINDOW_DAYS } from '../../../lambdas/api/get-stats';
import { StatsStore } from '../../../lambdas/core/stats-store';
import { apiDependencies } from '../support/api-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const USER = { id: 'user-1', isAdmin: false };
const ADMIN = { id: 'admin-1', isAdmin: true };
/** NOW of apiDependencies is 2026-11-23T10:15:30Z. */
const TODAY = '2026-11-23';

/** Live counter items by day (`STATS#<day>`), and other items (rollups, gauges) by `PK|SK`. */
let liveRows: Record<string, Record<string, unknown>[]> = {};
let items: Record<string, Record<string, unknown>> = {};

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  liveRows = {};
  items = {};
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
    Items: liveRows[String(input.ExpressionAttributeValues?.[':pk'])] ?? [],
  }));
  dynamo.on(GetCommand).callsFake((input: GetCommandInput) => ({
    Item: items[`${input.Key?.PK}|${input.Key?.SK}`],
  }));
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl?: string }) => {
    const base = { c: 10, h: 20, n: 30, l: 40 }[String(input.QueueUrl)] ?? -100;
    return {
      Attributes: {
        ApproximateNumberOfMessages: String(base + 1),
        ApproximateNumberOfMessagesNotVisible: String(base + 2),
        ApproximateNumberOfMessagesDelayed: String(base + 3),
      },
    };
  });
});

const stats = (query: Record<string, string | undefined> = {}, user = USER) => {
  const deps = apiDependencies();
  return getStats(user, query, deps, new StatsStore(deps.documentClient, deps.settings.tableName));
};

/** The days queried live, in day order (past days wait for their rollup read first). */
const queriedDays = () =>
  dynamo
    .commandCalls(QueryCommand)
    .map((call) => String(call.args[0].input.ExpressionAttributeValues?.[':pk']))
    .sort();

const readKeys = () => dynamo.commandCalls(GetCommand).map((call) => call.args[0].input.Key);

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

const row = (fields: Record<string, unknown>) => ({
  submitted: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  totalDurationMs: 0,
  durationCount: 0,
  ...fields,
});

const zeroPriority = { submitted: 0, completed: 0, failed: 0, cancelled: 0 };

describe('the window', () => {
  test.each([
    [{}, TODAY, TODAY],
    [{ from: '2026-11-20' }, '2026-11-20', TODAY],
    [{ from: '2026-11-25' }, '2026-11-25', '2026-11-25'],
    [{ from: TODAY }, TODAY, TODAY],
    [{ to: '2026-11-20' }, '2026-11-20', '2026-11-20'],
    [{ to: '2026-11-25' }, '2026-11-25', '2026-11-25'],
    [{ from: '2026-11-01', to: '2026-11-03' }, '2026-11-01', '2026-11-03'],
    [{ from: '2026-11-02', to: '2026-11-02' }, '2026-11-02', '2026-11-02'],
  ])('query %p covers %s..%s, one live query per day', async (query, from, to) => {
    const view = await stats(query);
    expect(view.window).toEqual({ from, to });
    const days: string[] = [];
    for (let time = Date.parse(from); time <= Date.parse(to); time += 86_400_000) {
      days.push(`STATS#${new Date(time).toISOString().slice(0, 10)}`);
    }
    expect(queriedDays()).toEqual(days);
  });

  test('the window crosses month and year ends day by day', async () => {
    await stats({ from: '2025-12-30', to: '2026-01-02' });
    expect(queriedDays()).toEqual([
      'STATS#2025-12-30',
      'STATS#2025-12-31',
      'STATS#2026-01-01',
      'STATS#2026-01-02',
    ]);
  });

  test('from after to is 400 naming from, before any read', async () => {
    await expect(caught(stats({ from: '2026-11-03', to: '2026-11-02' }))).resolves.toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      message: 'The window is invalid.',
      details: { fields: [{ field: 'from', message: 'must not be after to' }] },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test(`exactly ${MAX_WINDOW_DAYS} days is allowed; one day more is 400 naming to, before any read`, async () => {
    expect(MAX_WINDOW_DAYS).toBe(92);
    const allowed = await stats({ from: '2026-01-01', to: '2026-04-02' });
    expect(allowed.window).toEqual({ from: '2026-01-01', to: '2026-04-02' });
    expect(queriedDays()).toHaveLength(92);
    dynamo.resetHistory();
    await expect(caught(stats({ from: '2026-01-01', to: '2026-04-03' }))).resolves.toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      message: 'The window is too long.',
      details: { fields: [{ field: 'to', message: 'the window may cover at most 92 days' }] },
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test.each([
    '2026-11-2',
    '26-11-20',
    'x2026-11-20',
    '2026-11-20x',
    '2026-011-20',
    '2026/11/20',
    '2026-11-20T00:00:00Z',
  ])('from=%s is 400: not a YYYY-MM-DD date', async (from) => {
    const error = await caught(stats({ from }));
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      message: 'The statistics query is invalid.',
    });
    expect((error as { details: { fields: unknown[] } }).details.fields).toContainEqual({
      field: 'from',
      message: 'must be a UTC date YYYY-MM-DD',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10'])(
    'to=%s is 400: well formed but not a real date',
    async (to) => {
      await expect(caught(stats({ to }))).resolves.toMatchObject({
        statusCode: 400,
        code: 'VALIDATION_ERROR',
        message: 'The statistics query is invalid.',
        details: { fields: [{ field: 'to', message: 'must be a real date' }] },
      });
      expect(dynamo.calls()).toHaveLength(0);
    },
  );

  test('a leap day is a real date', async () => {
    await expect(stats({ from: '2024-02-29', to: '2024-02-29' })).resolves.toMatchObject({
      window: { from: '2024-02-29', to: '2024-02-29' },
    });
  });

  test('an unknown query parameter is 400', async () => {
    await expect(caught(stats({ day: TODAY }))).resolves.toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      message: 'The statistics query is invalid.',
    });
  });
});

describe('reading counters', () => {
  test("a user's window reads only their own scope: final rollups for past days, live counters otherwise", async () => {
    items['ROLLUP#2026-11-21|DAY#USER#user-1'] = {
      final: true,
      rows: [row({ type: 'pdf.render', priority: 'high', submitted: 4, completed: 3 })],
    };
    items['ROLLUP#2026-11-22|DAY#USER#user-1'] = { final: false, rows: [] };
    liveRows['STATS#2026-11-22'] = [
      row({ scope: 'USER#user-1', type: 'pdf.render', priority: 'high', submitted: 1, failed: 1 }),
    ];
    liveRows['STATS#2026-11-23'] = [
      row({ scope: 'USER#user-1', type: 'email.send', priority: 'normal', submitted: 2, cancelled: 1 }),
    ];
    const view = await stats({ from: '2026-11-21' });
    expect(readKeys()).toEqual(
      expect.arrayContaining([
        { PK: 'ROLLUP#2026-11-21', SK: 'DAY#USER#user-1' },
        { PK: 'ROLLUP#2026-11-22', SK: 'DAY#USER#user-1' },
      ]),
    );
    // Today is never read from a rollup, and there is no status gauge to read.
    expect(readKeys()).toHaveLength(2);
    expect(queriedDays()).toEqual(['STATS#2026-11-22', 'STATS#2026-11-23']);
    expect(
      dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input.ExpressionAttributeValues),
    ).toEqual(
      expect.arrayContaining([
        { ':pk': 'STATS#2026-11-22', ':prefix': 'USER#user-1#' },
        { ':pk': 'STATS#2026-11-23', ':prefix': 'USER#user-1#' },
      ]),
    );
    expect(view.totals).toEqual({ submitted: 7, completed: 3, failed: 1, cancelled: 1 });
    expect(sqs.calls()).toHaveLength(0);
  });

  test('an admin reads everyone’s scope (the users’ rows added up) and the live depth of every queue', async () => {
    liveRows[`STATS#${TODAY}`] = [
      row({ scope: 'USER#a', type: 'pdf.render', priority: 'low', submitted: 2 }),
      row({ scope: 'USER#b', type: 'pdf.render', priority: 'low', submitted: 3 }),
    ];
    const view = await stats({}, ADMIN);
    expect(readKeys()).toEqual([]);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':pk': `STATS#${TODAY}`,
      ':prefix': 'USER#',
    });
    expect(view.byPriority).toEqual({
      critical: { waiting: 11, inFlight: 12, delayed: 13, ...zeroPriority },
      high: { waiting: 21, inFlight: 22, delayed: 23, ...zeroPriority },
      normal: { waiting: 31, inFlight: 32, delayed: 33, ...zeroPriority },
      low: { waiting: 41, inFlight: 42, delayed: 43, ...zeroPriority, submitted: 5 },
    });
    const queueUrls = sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input.QueueUrl);
    expect(queueUrls.sort()).toEqual(['c', 'h', 'l', 'n']);
  });

  test('future days are read live, never from a rollup', async () => {
    await stats({ from: '2026-11-24', to: '2026-11-25' });
    expect(readKeys()).toEqual([]);
    expect(queriedDays()).toEqual(['STATS#2026-11-24', 'STATS#2026-11-25']);
  });
});

describe('the summary', () => {
  test('adds rows up by type, by priority and in total; averages durations; ended statuses from the counters', async () => {
    liveRows['STATS#2026-11-22'] = [
      row({
        scope: 'USER#user-1',
        type: 'pdf.render',
        priority: 'high',
        submitted: 3,
        completed: 2,
        failed: 1,
        totalDurationMs: 1000,
        durationCount: 3,
      }),
      row({
        scope: 'USER#user-1',
        type: 'email.send',
        priority: 'normal',
        submitted: 1,
        cancelled: 1,
      }),
    ];
    liveRows[`STATS#${TODAY}`] = [
      row({
        scope: 'USER#user-1',
        type: 'pdf.render',
        priority: 'normal',
        submitted: 2,
        completed: 2,
        cancelled: 4,
        totalDurationMs: 1001,
        durationCount: 3,
      }),
      row({
        scope: 'USER#user-1',
        type: 'data.sync',
        priority: 'high',
        submitted: 1,
        completed: 1,
        totalDurationMs: 1001,
        durationCount: 2,
      }),
    ];
    await expect(stats({ from: '2026-11-22' })).resolves.toEqual({
      window: { from: '2026-11-22', to: TODAY },
      totals: { submitted: 7, completed: 5, failed: 1, cancelled: 5 },
      byStatus: {
        // More ended than submitted in the window (jobs submitted before it): none left waiting.
        queued: 0,
        delayed: 0,
        processing: 0,
        retrying: 0,
        completed: 5,
        failed: 1,
        cancelled: 5,
      },
      byType: {
        'pdf.render': { submitted: 5, completed: 4, failed: 1, cancelled: 4, avgDurationMs: 334 },
        'email.send': { submitted: 1, completed: 0, failed: 0, cancelled: 1, avgDurationMs: null },
        'data.sync': { submitted: 1, completed: 1, failed: 0, cancelled: 0, avgDurationMs: 501 },
      },
      byPriority: {
        critical: zeroPriority,
        high: { submitted: 4, completed: 3, failed: 1, cancelled: 0 },
        normal: { submitted: 3, completed: 2, failed: 0, cancelled: 5 },
        low: zeroPriority,
      },
    });
  });

  test('one duration averages to itself, rounded', async () => {
    liveRows[`STATS#${TODAY}`] = [
      row({ scope: 'USER#user-1', type: 'a', priority: 'low', totalDurationMs: 1234.4, durationCount: 1 }),
    ];
    const view = await stats();
    expect(view.byType).toEqual({
      a: { submitted: 0, completed: 0, failed: 0, cancelled: 0, avgDurationMs: 1234 },
    });
  });

  test('no rows at all: zero totals, no types, every priority present with zeros', async () => {
    await expect(stats()).resolves.toEqual({
      window: { from: TODAY, to: TODAY },
      totals: zeroPriority,
      byStatus: {
        queued: 0,
        delayed: 0,
        processing: 0,
        retrying: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      },
      byType: {},
      byPriority: { critical: zeroPriority, high: zeroPriority, normal: zeroPriority, low: zeroPriority },
    });
  });
});

describe('byStatus without status gauges', () => {
  test('a user: the window’s jobs submitted and not ended count as queued; the ended ones by status', async () => {
    liveRows[`STATS#${TODAY}`] = [
      row({
        scope: 'USER#user-1',
        type: 'a',
        priority: 'low',
        submitted: 9,
        completed: 3,
        failed: 2,
        cancelled: 1,
      }),
    ];
    const view = await stats();
    expect(view.byStatus).toEqual({
      queued: 3,
      delayed: 0,
      processing: 0,
      retrying: 0,
      completed: 3,
      failed: 2,
      cancelled: 1,
    });
    expect(sqs.calls()).toHaveLength(0);
  });

  test('an admin: live statuses are the queues’ depths added up (waiting, in flight, held back)', async () => {
    liveRows[`STATS#${TODAY}`] = [
      row({
        scope: 'USER#a',
        type: 'a',
        priority: 'low',
        submitted: 50,
        completed: 4,
        failed: 1,
        cancelled: 2,
      }),
    ];
    const view = await stats({}, ADMIN);
    expect(view.byStatus).toEqual({
      queued: 11 + 21 + 31 + 41,
      processing: 12 + 22 + 32 + 42,
      delayed: 13 + 23 + 33 + 43,
      retrying: 0,
      completed: 4,
      failed: 1,
      cancelled: 2,
    });
  });
});

describe('the requests', () => {
  test('a user today: one query of their own rows, nothing else', async () => {
    await stats();
    expect(dynamo.calls().map((call) => call.args[0].constructor.name)).toEqual(['QueryCommand']);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `STATS#${TODAY}`, ':prefix': 'USER#user-1#' },
      ExclusiveStartKey: undefined,
    });
    expect(sqs.calls()).toHaveLength(0);
  });

  test('an admin today: one query of every user’s rows and one attributes read per queue', async () => {
    await stats({}, ADMIN);
    expect(dynamo.calls().map((call) => call.args[0].constructor.name)).toEqual(['QueryCommand']);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `STATS#${TODAY}`, ':prefix': 'USER#' },
      ExclusiveStartKey: undefined,
    });
    expect(sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input)).toEqual(
      ['c', 'h', 'n', 'l'].map((QueueUrl) => ({
        QueueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      })),
    );
  });
});
