import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { bornWatched, CONNECTION_TTL_SECONDS, ConnectionStore } from '../../../lambdas/core/connection-store';
import type { JobRecord } from '../../../lambdas/core/job';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-29T10:00:00.000Z');
const NOW_SECONDS = Date.parse('2026-11-29T10:00:00.000Z') / 1000;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const store = new ConnectionStore(client, 'jobs-test', () => NOW);

const connectionItem = (fields: Record<string, unknown> = {}) => ({
  PK: 'CONN#c-1',
  SK: 'CONN',
  connectionId: 'c-1',
  userId: 'user-1',
  isAdmin: false,
  expiresAt: NOW_SECONDS + 60,
  ...fields,
});
const gets = () => dynamo.commandCalls(GetCommand).map((call) => call.args[0].input);
const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
const updates = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const deletes = () => dynamo.commandCalls(DeleteCommand).map((call) => call.args[0].input);
const queries = () => dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
const batches = () => dynamo.commandCalls(BatchWriteCommand).map((call) => call.args[0].input);
/** The partition keys each batch write deletes. */
const batchDeletes = () =>
  batches().map((input) =>
    (input.RequestItems?.['jobs-test'] ?? []).map((request) => request.DeleteRequest?.Key),
  );

beforeEach(() => {
  dynamo.reset();
  dynamo.onAnyCommand().resolves({});
});

test('connections and subscriptions live two hours', () => {
  expect(CONNECTION_TTL_SECONDS).toBe(7200);
});

test('save writes CONN#<id> / CONN with the user, admin flag, connection time and a two-hour expiry', async () => {
  await store.save('c-1', 'user-1', true);
  expect(puts()).toContainEqual({
    TableName: 'jobs-test',
    Item: {
      PK: 'CONN#c-1',
      SK: 'CONN',
      connectionId: 'c-1',
      userId: 'user-1',
      isAdmin: true,
      connectedAt: '2026-11-29T10:00:00.000Z',
      expiresAt: NOW_SECONDS + 7200,
    },
  });
});

test("save also lists the connection among its user's, USERCONN#<user> / CONN#<id>, with the same expiry: one write more, no other", async () => {
  await store.save('c-1', 'user-1', false);
  expect(puts()).toHaveLength(2);
  expect(puts()).toContainEqual({
    TableName: 'jobs-test',
    Item: { PK: 'USERCONN#user-1', SK: 'CONN#c-1', connectionId: 'c-1', expiresAt: NOW_SECONDS + 7200 },
  });
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
});

describe('connectionsOf', () => {
  test("reads the user's partition consistently, every page, and leaves expired entries out", async () => {
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { PK: 'USERCONN#user-1', SK: 'CONN#c-1', connectionId: 'c-1', expiresAt: NOW_SECONDS + 60 },
          { PK: 'USERCONN#user-1', SK: 'CONN#c-2', connectionId: 'c-2', expiresAt: NOW_SECONDS },
        ],
        LastEvaluatedKey: { PK: 'USERCONN#user-1', SK: 'CONN#c-2' },
      })
      .resolvesOnce({
        Items: [{ PK: 'USERCONN#user-1', SK: 'CONN#c-3', connectionId: 'c-3', expiresAt: NOW_SECONDS + 60 }],
      });
    await expect(store.connectionsOf('user-1')).resolves.toEqual(['c-1', 'c-3']);
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'USERCONN#user-1' },
        ConsistentRead: true,
      },
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'USERCONN#user-1' },
        ConsistentRead: true,
        ExclusiveStartKey: { PK: 'USERCONN#user-1', SK: 'CONN#c-2' },
      },
    ]);
  });

  test('a user with no open connection has none', async () => {
    await expect(store.connectionsOf('user-1')).resolves.toEqual([]);
  });
});

describe('get', () => {
  test('reads the connection consistently and maps it, subscriptions from the stored set', async () => {
    dynamo.on(GetCommand).resolves({
      Item: connectionItem({ isAdmin: true, subscriptions: new Set(['SUB#j1', 'SUB#USER#user-1']) }),
    });
    await expect(store.get('c-1')).resolves.toEqual({
      connectionId: 'c-1',
      userId: 'user-1',
      isAdmin: true,
      subscriptions: ['SUB#j1', 'SUB#USER#user-1'],
    });
    expect(gets()).toEqual([
      { TableName: 'jobs-test', Key: { PK: 'CONN#c-1', SK: 'CONN' }, ConsistentRead: true },
    ]);
  });

  test('no subscriptions set means none; only a stored true makes an admin', async () => {
    dynamo.on(GetCommand).resolves({ Item: connectionItem({ isAdmin: 'true', subscriptions: ['SUB#j1'] }) });
    await expect(store.get('c-1')).resolves.toMatchObject({ isAdmin: false, subscriptions: [] });
  });

  test('a missing connection is undefined', async () => {
    await expect(store.get('c-1')).resolves.toBeUndefined();
  });

  test('a connection whose expiry has come is gone, even before TTL deletes it', async () => {
    dynamo.on(GetCommand).resolves({ Item: connectionItem({ expiresAt: NOW_SECONDS }) });
    await expect(store.get('c-1')).resolves.toBeUndefined();
  });

  test('a connection expiring a second from now is still there', async () => {
    dynamo.on(GetCommand).resolves({ Item: connectionItem({ expiresAt: NOW_SECONDS + 1 }) });
    await expect(store.get('c-1')).resolves.toMatchObject({ connectionId: 'c-1' });
  });
});

describe('subscribe', () => {
  test('to a job: writes SUB#<jobId> / CONN#<id> pending, then adds the partition to the connection', async () => {
    await store.subscribe('c-1', { jobId: 'j1' });
    expect(puts()).toEqual([
      {
        TableName: 'jobs-test',
        Item: {
          PK: 'SUB#j1',
          SK: 'CONN#c-1',
          connectionId: 'c-1',
          pending: true,
          expiresAt: NOW_SECONDS + 7200,
        },
      },
    ]);
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: 'CONN#c-1', SK: 'CONN' },
        UpdateExpression: 'ADD subscriptions :partition',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':partition': new Set(['SUB#j1']) },
      },
    ]);
  });

  test('to a user’s jobs: the partition is SUB#USER#<userId>', async () => {
    await store.subscribe('c-1', { userId: 'user-1' });
    // Live at once: a user-wide subscription has no snapshot to wait for.
    expect(puts()[0]?.Item).toEqual({
      PK: 'SUB#USER#user-1',
      SK: 'CONN#c-1',
      connectionId: 'c-1',
      expiresAt: NOW_SECONDS + 7200,
    });
    expect(updates()[0]?.ExpressionAttributeValues).toEqual({
      ':partition': new Set(['SUB#USER#user-1']),
    });
  });

  test('on a closed connection the subscribe fails (the connection must exist)', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.subscribe('c-1', { jobId: 'j1' })).rejects.toThrow('conditional');
  });
});

describe('unsubscribe', () => {
  test('deletes the subscription item and removes its partition from the connection', async () => {
    await store.unsubscribe('c-1', { jobId: 'j1' });
    expect(batches()).toEqual([
      { RequestItems: { 'jobs-test': [{ DeleteRequest: { Key: { PK: 'SUB#j1', SK: 'CONN#c-1' } } }] } },
    ]);
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: 'CONN#c-1', SK: 'CONN' },
        UpdateExpression: 'DELETE subscriptions :partitions',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':partitions': new Set(['SUB#j1']) },
      },
    ]);
  });

  test('a connection closed meanwhile is fine', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.unsubscribe('c-1', { userId: 'user-1' })).resolves.toBeUndefined();
    expect(batchDeletes()).toEqual([[{ PK: 'SUB#USER#user-1', SK: 'CONN#c-1' }]]);
  });

  test('any other failure is not swallowed', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.unsubscribe('c-1', { jobId: 'j1' })).rejects.toThrow('throttled');
  });
});

describe('unsubscribeAll', () => {
  test('ends every subscription of the connection', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: connectionItem({ subscriptions: new Set(['SUB#j1', 'SUB#j2']) }) });
    await store.unsubscribeAll('c-1');
    expect(batchDeletes()).toEqual([
      [
        { PK: 'SUB#j1', SK: 'CONN#c-1' },
        { PK: 'SUB#j2', SK: 'CONN#c-1' },
      ],
    ]);
    expect(updates()[0]?.ExpressionAttributeValues).toEqual({
      ':partitions': new Set(['SUB#j1', 'SUB#j2']),
    });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });

  test('a connection without subscriptions, or without a record, writes nothing', async () => {
    dynamo.on(GetCommand).resolvesOnce({ Item: connectionItem() }).resolvesOnce({});
    await store.unsubscribeAll('c-1');
    await store.unsubscribeAll('c-1');
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('remove', () => {
  test("deletes the subscription items and the user's entry, 25 per batch, then the connection", async () => {
    const partitions = Array.from({ length: 25 }, (_, index) => `SUB#j${index}`);
    dynamo.on(GetCommand).resolves({ Item: connectionItem({ subscriptions: new Set(partitions) }) });
    await store.remove('c-1');
    const batchKeys = batchDeletes().map((keys) => keys.map((key) => key?.PK));
    expect(batchKeys).toEqual([partitions, ['USERCONN#user-1']]);
    expect(batches()[1]?.RequestItems?.['jobs-test']).toEqual([
      { DeleteRequest: { Key: { PK: 'USERCONN#user-1', SK: 'CONN#c-1' } } },
    ]);
    expect(deletes()).toEqual([{ TableName: 'jobs-test', Key: { PK: 'CONN#c-1', SK: 'CONN' } }]);
    // Removing a connection does not update it before deleting it.
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test("24 subscriptions and the user's entry take one batch", async () => {
    const partitions = Array.from({ length: 24 }, (_, index) => `SUB#j${index}`);
    dynamo.on(GetCommand).resolves({ Item: connectionItem({ subscriptions: new Set(partitions) }) });
    await store.remove('c-1');
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 1);
  });

  test("a connection without subscriptions deletes its user's entry and itself", async () => {
    dynamo.on(GetCommand).resolves({ Item: connectionItem() });
    await store.remove('c-1');
    expect(batchDeletes()).toEqual([[{ PK: 'USERCONN#user-1', SK: 'CONN#c-1' }]]);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test('a connection already gone is still deleted, with no batch', async () => {
    await store.remove('c-1');
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  test("a connection already gone whose user the caller names still leaves that user's connections", async () => {
    await store.remove('c-1', 'user-2');
    expect(batchDeletes()).toEqual([[{ PK: 'USERCONN#user-2', SK: 'CONN#c-1' }]]);
    expect(deletes()).toEqual([{ TableName: 'jobs-test', Key: { PK: 'CONN#c-1', SK: 'CONN' } }]);
  });
});

describe('subscribersOf', () => {
  test('queries both partitions consistently; each live connection once, its job subscription first', async () => {
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#j1' } })
      .resolves({
        Items: [
          { connectionId: 'c-1', expiresAt: NOW_SECONDS + 10, fromVersion: 3, fromUpdatedAt: 'T3' },
          { connectionId: 'c-old', expiresAt: NOW_SECONDS },
          { connectionId: 'c-3', pending: true, expiresAt: NOW_SECONDS + 10 },
        ],
      })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' } })
      .resolves({
        Items: [
          { connectionId: 'c-1' },
          { connectionId: 'c-2', expiresAt: NOW_SECONDS + 1 },
          { connectionId: 'c-3' },
        ],
      });
    await expect(store.subscribersOf('j1', 'user-1')).resolves.toEqual([
      { connectionId: 'c-1', scope: 'job', pending: false, since: { version: 3, updatedAt: 'T3' } },
      { connectionId: 'c-3', scope: 'job', pending: true },
      { connectionId: 'c-2', scope: 'user', pending: false },
    ]);
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'SUB#j1' },
        ConsistentRead: true,
      },
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' },
        ConsistentRead: true,
      },
    ]);
  });

  test('no subscribers at all is an empty list', async () => {
    await expect(store.subscribersOf('j1', 'user-1')).resolves.toEqual([]);
  });
});

describe('watchJob', () => {
  test('sets the flag alone (no version, no updatedAt) and returns the job as written, keys stripped', async () => {
    dynamo.on(UpdateCommand).resolves({
      Attributes: {
        PK: 'JOB#j1',
        SK: 'JOB',
        GSI1PK: 'USER#u',
        jobId: 'j1',
        version: 4,
        watched: true,
        events: [],
      },
    });
    await expect(store.watchJob('j1')).resolves.toEqual({
      jobId: 'j1',
      version: 4,
      watched: true,
      events: [],
    });
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: 'JOB#j1', SK: 'JOB' },
        UpdateExpression: 'SET watched = :true',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':true': true },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  test('a job that is gone (missing, or past its expiry) is undefined', async () => {
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed());
    await expect(store.watchJob('j1')).resolves.toBeUndefined();
    dynamo.on(UpdateCommand).resolves({ Attributes: { jobId: 'j1', expiresAt: NOW_SECONDS } });
    await expect(store.watchJob('j1')).resolves.toBeUndefined();
  });

  test('any other failure is not swallowed', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.watchJob('j1')).rejects.toThrow('throttled');
  });
});

describe('activate', () => {
  const since = { version: 3, updatedAt: '2026-11-29T09:59:00.000Z' };
  const activation = (condition: string) => ({
    TableName: 'jobs-test',
    Key: { PK: 'SUB#j1', SK: 'CONN#c-1' },
    UpdateExpression: 'SET fromVersion = :version, fromUpdatedAt = :updatedAt REMOVE pending, missed',
    ConditionExpression: condition,
    ExpressionAttributeValues: { ':version': 3, ':updatedAt': '2026-11-29T09:59:00.000Z' },
  });

  test('makes a pending subscription live from the snapshot, unless a change was missed', async () => {
    await expect(store.activate('c-1', 'j1', since)).resolves.toBe('active');
    expect(updates()).toEqual([activation('attribute_exists(pending) AND attribute_not_exists(missed)')]);
    expect(gets()).toEqual([]);
  });

  test('forced (the last try), only the subscription needs to be pending', async () => {
    await expect(store.activate('c-1', 'j1', since, { force: true })).resolves.toBe('active');
    expect(updates()).toEqual([activation('attribute_exists(pending)')]);
  });

  test.each([
    ['missed', { Item: { connectionId: 'c-1', pending: true, missed: true } }],
    ['gone', {}],
    ['active', { Item: { connectionId: 'c-1', fromVersion: 2 } }],
  ])('refused, it reads the subscription back: %s', async (outcome, read) => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves(read);
    await expect(store.activate('c-1', 'j1', since)).resolves.toBe(outcome);
    expect(gets()).toEqual([
      { TableName: 'jobs-test', Key: { PK: 'SUB#j1', SK: 'CONN#c-1' }, ConsistentRead: true },
    ]);
  });

  test('any other failure is not swallowed', async () => {
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.activate('c-1', 'j1', since)).rejects.toThrow('throttled');
  });
});

describe('rearm', () => {
  test('clears the missed mark of a subscription still pending', async () => {
    await expect(store.rearm('c-1', 'j1')).resolves.toBe(true);
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: 'SUB#j1', SK: 'CONN#c-1' },
        UpdateExpression: 'REMOVE missed',
        ConditionExpression: 'attribute_exists(pending)',
      },
    ]);
  });

  test('a subscription no longer pending is false; other failures throw', async () => {
    dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(new Error('throttled'));
    await expect(store.rearm('c-1', 'j1')).resolves.toBe(false);
    await expect(store.rearm('c-1', 'j1')).rejects.toThrow('throttled');
  });
});

describe('markMissed', () => {
  test('marks a pending subscription and says it is still pending', async () => {
    await expect(store.markMissed('j1', 'c-1')).resolves.toEqual({
      connectionId: 'c-1',
      scope: 'job',
      pending: true,
    });
    expect(updates()).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: 'SUB#j1', SK: 'CONN#c-1' },
        UpdateExpression: 'SET missed = :true',
        ConditionExpression: 'attribute_exists(pending)',
        ExpressionAttributeValues: { ':true': true },
      },
    ]);
  });

  test('one activated meanwhile is read back as it now stands; one removed is undefined', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { connectionId: 'c-1', fromVersion: 5, fromUpdatedAt: 'T5' } })
      .resolvesOnce({});
    await expect(store.markMissed('j1', 'c-1')).resolves.toEqual({
      connectionId: 'c-1',
      scope: 'job',
      pending: false,
      since: { version: 5, updatedAt: 'T5' },
    });
    await expect(store.markMissed('j1', 'c-1')).resolves.toBeUndefined();
    expect(gets()[0]).toEqual({
      TableName: 'jobs-test',
      Key: { PK: 'SUB#j1', SK: 'CONN#c-1' },
      ConsistentRead: true,
    });
  });
});

describe('watchesAllJobs and bornWatched', () => {
  test('one eventually consistent count of the user-wide partition, live subscriptions only', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 1 });
    await expect(store.watchesAllJobs('user-1')).resolves.toBe(true);
    expect(queries()).toEqual([
      {
        TableName: 'jobs-test',
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1', ':now': NOW_SECONDS },
        Select: 'COUNT',
      },
    ]);
  });

  test('no live subscription is false', async () => {
    dynamo.on(QueryCommand).resolves({ Count: 0 });
    await expect(store.watchesAllJobs('user-1')).resolves.toBe(false);
  });

  const job = (jobId: string) => ({ jobId }) as unknown as JobRecord;

  test('jobs of a user who watches all are born watched; otherwise they are saved as they are', async () => {
    dynamo.on(QueryCommand).resolvesOnce({ Count: 2 }).resolvesOnce({ Count: 0 });
    await expect(bornWatched([job('a'), job('b')], 'user-1', store)).resolves.toEqual([
      { jobId: 'a', watched: true },
      { jobId: 'b', watched: true },
    ]);
    await expect(bornWatched([job('a')], 'user-1', store)).resolves.toEqual([{ jobId: 'a' }]);
    // One query per request, however many jobs.
    expect(queries()).toHaveLength(2);
  });

  test('nothing to save asks nothing', async () => {
    await expect(bornWatched([], 'user-1', store)).resolves.toEqual([]);
    expect(queries()).toEqual([]);
  });
});

test('without a clock of its own, expiries count from the current time', async () => {
  const before = Math.floor(Date.now() / 1000);
  await new ConnectionStore(client, 'jobs-test').save('c-1', 'user-1', false);
  const item = puts()[0]?.Item ?? {};
  expect(item.expiresAt).toBeGreaterThanOrEqual(before + 7200);
  expect(item.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 7200);
  expect(Date.parse(item.connectedAt)).toBeGreaterThanOrEqual(before * 1000);
});
