import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CounterRow, emptyCounters, StatsStore, scopes } from '../../../lambdas/core/stats-store';

const dynamo = mockClient(DynamoDBDocumentClient);
const store = new StatsStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  'jobs-test',
);

const KEY = { day: '2026-11-29', scope: 'USER#user-1', type: 'system.simulate', priority: 'high' };

const updateInput = (index = 0) => dynamo.commandCalls(UpdateCommand)[index]?.args[0].input;
const queryInput = (index = 0) => dynamo.commandCalls(QueryCommand)[index]?.args[0].input;

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
});

describe('scopes and empty counters', () => {
  test('the ALL scope and a user scope', () => {
    expect(scopes.all).toBe('ALL');
    expect(scopes.user('user-1')).toBe('USER#user-1');
  });

  test('every counter starts at zero', () => {
    expect(emptyCounters()).toEqual({
      submitted: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      totalDurationMs: 0,
      durationCount: 0,
    });
  });
});

describe('addCounters', () => {
  test('adds the non-zero deltas to STATS#<day> / <scope>#<type>#<priority>, setting the key fields', async () => {
    await store.addCounters(KEY, { submitted: 1, completed: 0, failed: -2, totalDurationMs: 1500 });
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(updateInput()).toEqual({
      TableName: 'jobs-test',
      Key: { PK: 'STATS#2026-11-29', SK: 'USER#user-1#system.simulate#high' },
      UpdateExpression:
        'SET #day = :day, #scope = :scope, #type = :type, #priority = :priority ADD #c0 :c0, #c1 :c1, #c2 :c2',
      ExpressionAttributeNames: {
        '#c0': 'submitted',
        '#c1': 'failed',
        '#c2': 'totalDurationMs',
        '#day': 'day',
        '#scope': 'scope',
        '#type': 'type',
        '#priority': 'priority',
      },
      ExpressionAttributeValues: {
        ':day': '2026-11-29',
        ':scope': 'USER#user-1',
        ':type': 'system.simulate',
        ':priority': 'high',
        ':c0': 1,
        ':c1': -2,
        ':c2': 1500,
      },
    });
  });

  test('deltas that are all zero or undefined write nothing', async () => {
    await store.addCounters(KEY, {});
    await store.addCounters(KEY, { submitted: 0, failed: undefined });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('an undefined delta is left out of the expression', async () => {
    await store.addCounters(KEY, { submitted: undefined, cancelled: 3 });
    expect(updateInput()?.UpdateExpression).toMatch(/ ADD #c0 :c0$/);
    expect(updateInput()?.ExpressionAttributeNames?.['#c0']).toBe('cancelled');
    expect(updateInput()?.ExpressionAttributeValues?.[':c0']).toBe(3);
    expect(updateInput()?.ExpressionAttributeValues).not.toHaveProperty(':c1');
  });
});

describe('reading a day', () => {
  test('readDay queries the day partition for the scope prefix and maps each row', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          PK: 'STATS#2026-11-29',
          SK: 'USER#user-1#system.simulate#high',
          scope: 'USER#user-1',
          type: 'system.simulate',
          priority: 'high',
          submitted: 4,
          completed: '3',
          totalDurationMs: 900,
          durationCount: 3,
        },
      ],
    });
    const rows = await store.readDay('2026-11-29', 'USER#user-1');
    expect(queryInput()).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'STATS#2026-11-29', ':prefix': 'USER#user-1#' },
      ExclusiveStartKey: undefined,
    });
    expect(rows).toEqual([
      {
        day: '2026-11-29',
        scope: 'USER#user-1',
        type: 'system.simulate',
        priority: 'high',
        submitted: 4,
        completed: 3,
        failed: 0,
        cancelled: 0,
        totalDurationMs: 900,
        durationCount: 3,
      },
    ]);
  });

  test('readDayAllScopes reads the users’ rows of the day and adds them up as everyone’s', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        { scope: 'USER#user-1', type: 'data.sync', priority: 'low', submitted: 2, completed: 1 },
        { scope: 'USER#user-2', type: 'data.sync', priority: 'low', submitted: 3, failed: 1 },
        { scope: 'USER#user-2', type: 'data.sync', priority: 'high', cancelled: 1 },
      ],
    });
    const rows = await store.readDayAllScopes('2026-11-29');
    expect(queryInput()).toEqual({
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'STATS#2026-11-29', ':prefix': 'USER#' },
      ExclusiveStartKey: undefined,
    });
    const counts = (row: CounterRow) => ({
      scope: row.scope,
      type: row.type,
      priority: row.priority,
      submitted: row.submitted,
      completed: row.completed,
      failed: row.failed,
      cancelled: row.cancelled,
    });
    expect(rows.map(counts)).toEqual([
      {
        scope: 'USER#user-1',
        type: 'data.sync',
        priority: 'low',
        submitted: 2,
        completed: 1,
        failed: 0,
        cancelled: 0,
      },
      {
        scope: 'USER#user-2',
        type: 'data.sync',
        priority: 'low',
        submitted: 3,
        completed: 0,
        failed: 1,
        cancelled: 0,
      },
      {
        scope: 'USER#user-2',
        type: 'data.sync',
        priority: 'high',
        submitted: 0,
        completed: 0,
        failed: 0,
        cancelled: 1,
      },
      {
        scope: 'ALL',
        type: 'data.sync',
        priority: 'low',
        submitted: 5,
        completed: 1,
        failed: 1,
        cancelled: 0,
      },
      {
        scope: 'ALL',
        type: 'data.sync',
        priority: 'high',
        submitted: 0,
        completed: 0,
        failed: 0,
        cancelled: 1,
      },
    ]);
    expect(rows.every((row) => row.day === '2026-11-29')).toBe(true);
  });

  test('a day with no rows reads empty, everyone’s included', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await expect(store.readDayAllScopes('2026-11-29')).resolves.toEqual([]);
    await expect(store.readDay('2026-11-29', 'ALL')).resolves.toEqual([]);
  });

  test('everyone’s rows are the users’ rows of the day added up (no ALL rows are read), durations too', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          SK: 'USER#a#pdf.render#high',
          type: 'pdf.render',
          priority: 'high',
          submitted: 1,
          totalDurationMs: 100,
          durationCount: 1,
        },
        {
          SK: 'USER#b#pdf.render#high',
          type: 'pdf.render',
          priority: 'high',
          submitted: 2,
          totalDurationMs: 50,
          durationCount: 1,
        },
      ],
    });
    await expect(store.readDay('2026-11-29', 'ALL')).resolves.toEqual([
      {
        day: '2026-11-29',
        scope: 'ALL',
        type: 'pdf.render',
        priority: 'high',
        submitted: 3,
        completed: 0,
        failed: 0,
        cancelled: 0,
        totalDurationMs: 150,
        durationCount: 2,
      },
    ]);
    expect(queryInput()?.ExpressionAttributeValues).toEqual({
      ':pk': 'STATS#2026-11-29',
      ':prefix': 'USER#',
    });
  });

  test('a row written before the scope attribute existed takes its scope from the sort key', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [{ SK: 'USER#user-1#data.sync#low', type: 'data.sync', priority: 'low', failed: 1 }],
    });
    const rows = await store.readDayAllScopes('2026-11-29');
    expect(rows.map(({ scope, failed }) => ({ scope, failed }))).toEqual([
      { scope: 'USER#user-1', failed: 1 },
      { scope: 'ALL', failed: 1 },
    ]);
  });

  test('a row’s scope attribute is taken as stored, whatever its sort key', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ scope: 'USER#user-2', type: 't', priority: 'p' }] });
    const [row] = await store.readDayAllScopes('2026-11-29');
    expect(row?.scope).toBe('USER#user-2');
  });

  test('follows LastEvaluatedKey until the last page', async () => {
    const row = (type: string) => ({ scope: 'USER#u', type, priority: 'normal', submitted: 1 });
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [row('a')],
        LastEvaluatedKey: { PK: 'STATS#2026-11-29', SK: 'USER#u#a#normal' },
      })
      .resolvesOnce({ LastEvaluatedKey: { PK: 'STATS#2026-11-29', SK: 'USER#u#b#normal' } })
      .resolvesOnce({ Items: [row('c')] });
    const rows = await store.readDay('2026-11-29', 'USER#u');
    expect(rows.map((found) => found.type)).toEqual(['a', 'c']);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 3);
    expect(queryInput(1)?.ExclusiveStartKey).toEqual({ PK: 'STATS#2026-11-29', SK: 'USER#u#a#normal' });
    expect(queryInput(2)?.ExclusiveStartKey).toEqual({ PK: 'STATS#2026-11-29', SK: 'USER#u#b#normal' });
  });
});

describe('rollups', () => {
  const row = (fields: Partial<CounterRow> = {}): CounterRow => ({
    ...emptyCounters(),
    day: '2026-11-29',
    scope: 'ALL',
    type: 'system.simulate',
    priority: 'normal',
    ...fields,
  });

  test('putRollup writes the whole item: keys, window, final flag and the rows without day and scope', async () => {
    await store.putRollup('2026-11-29', 'DAY', 'ALL', [row({ submitted: 2, durationCount: 1 })], true);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: 'jobs-test',
      Item: {
        PK: 'ROLLUP#2026-11-29',
        SK: 'DAY#ALL',
        day: '2026-11-29',
        period: 'DAY',
        scope: 'ALL',
        final: true,
        rows: [
          {
            type: 'system.simulate',
            priority: 'normal',
            submitted: 2,
            completed: 0,
            failed: 0,
            cancelled: 0,
            totalDurationMs: 0,
            durationCount: 1,
          },
        ],
      },
    });
  });

  test('putRollup keeps a non-final flag', async () => {
    await store.putRollup('2026-11-29', 'WEEK', 'USER#u', [], false);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      SK: 'WEEK#USER#u',
      final: false,
      rows: [],
    });
  });

  test('readFinalDay reads ROLLUP#<day> / DAY#<scope> and maps its rows, missing counters as zero', async () => {
    dynamo.on(GetCommand).resolves({
      Item: {
        final: true,
        rows: [{ type: 'data.sync', priority: 'low', completed: 5, totalDurationMs: '70' }],
      },
    });
    const rows = await store.readFinalDay('2026-11-29', 'USER#user-1');
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'jobs-test',
      Key: { PK: 'ROLLUP#2026-11-29', SK: 'DAY#USER#user-1' },
    });
    expect(rows).toEqual([
      {
        day: '2026-11-29',
        scope: 'USER#user-1',
        type: 'data.sync',
        priority: 'low',
        submitted: 0,
        completed: 5,
        failed: 0,
        cancelled: 0,
        totalDurationMs: 70,
        durationCount: 0,
      },
    ]);
  });

  test.each([
    ['no rollup item', undefined],
    ['a rollup that is not final', { final: false, rows: [] }],
    ['a final rollup without rows', { final: true }],
    ['a final rollup whose rows are not a list', { final: true, rows: 'x' }],
  ])('readFinalDay answers undefined for %s', async (_name, Item) => {
    dynamo.on(GetCommand).resolves({ Item });
    await expect(store.readFinalDay('2026-11-29', 'ALL')).resolves.toBeUndefined();
  });

  test('a final rollup with no rows is an empty day, not a missing one', async () => {
    dynamo.on(GetCommand).resolves({ Item: { final: true, rows: [] } });
    await expect(store.readFinalDay('2026-11-29', 'ALL')).resolves.toEqual([]);
  });
});
