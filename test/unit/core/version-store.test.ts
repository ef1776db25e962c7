import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { VersionStore } from '../../../lambdas/core/version-store';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_SECONDS = Date.parse('2026-03-01T12:00:00.000Z') / 1000;
const store = new VersionStore(client, 'jobs-test', () => NOW);

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
});

const lastUpdate = () => {
  const calls = dynamo.commandCalls(UpdateCommand);
  return calls[calls.length - 1]?.args[0].input;
};

test.each([
  ['a submitted version', () => store.recordSubmitted('resume#r-1', 4), 'latest'],
  ['a delivered version', () => store.recordDelivered('resume#r-1', 4), 'delivered'],
])('recording %s sets the entity record to expire 30 days after this write', async (_name, write, field) => {
  await write();
  const input = lastUpdate();
  expect(input?.Key).toEqual({ PK: 'ENTITY#resume#r-1', SK: 'VERSION' });
  expect(input?.ExpressionAttributeNames?.['#attribute']).toBe(field);
  expect(input?.UpdateExpression).toContain('#expiresAt = :expiresAt');
  expect(input?.ExpressionAttributeNames?.['#expiresAt']).toBe('expiresAt');
  expect(input?.ExpressionAttributeValues?.[':expiresAt']).toBe(NOW_SECONDS + 30 * 24 * 3600);
  expect(input?.ExpressionAttributeValues?.[':version']).toBe(4);
});

test('the record only moves up: an older version is refused by the condition, quietly', async () => {
  dynamo.on(UpdateCommand).rejects(conditionFailed());
  await expect(store.recordSubmitted('resume#r-1', 2)).resolves.toBeUndefined();
  expect(lastUpdate()?.ConditionExpression).toBe('attribute_not_exists(#attribute) OR #attribute < :version');
});

test('a shorter retention can be chosen', async () => {
  await new VersionStore(client, 'jobs-test', () => NOW, 2).recordSubmitted('k', 1);
  expect(lastUpdate()?.ExpressionAttributeValues?.[':expiresAt']).toBe(NOW_SECONDS + 2 * 24 * 3600);
});

test('the write raises one attribute of ENTITY#<key> / VERSION, conditionally, expiring with it', async () => {
  await store.recordDelivered('resume#r-1', 7);
  expect(lastUpdate()).toEqual({
    TableName: 'jobs-test',
    Key: { PK: 'ENTITY#resume#r-1', SK: 'VERSION' },
    UpdateExpression: 'SET #attribute = :version, #expiresAt = :expiresAt',
    ConditionExpression: 'attribute_not_exists(#attribute) OR #attribute < :version',
    ExpressionAttributeNames: { '#attribute': 'delivered', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':version': 7, ':expiresAt': NOW_SECONDS + 30 * 24 * 3600 },
  });
});

test('any other failure of the write is not swallowed', async () => {
  dynamo.on(UpdateCommand).rejects(new Error('throttled'));
  await expect(store.recordSubmitted('k', 1)).rejects.toThrow('throttled');
  await expect(store.recordDelivered('k', 1)).rejects.toThrow('throttled');
});

test('without a clock of its own the expiry counts from the current time', async () => {
  const before = Math.floor(Date.now() / 1000);
  await new VersionStore(client, 'jobs-test').recordSubmitted('k', 1);
  const expiresAt = Number(lastUpdate()?.ExpressionAttributeValues?.[':expiresAt']);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 24 * 3600);
  expect(expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 30 * 24 * 3600);
});

describe('get', () => {
  test('reads ENTITY#<key> / VERSION consistently and returns both versions', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: { PK: 'ENTITY#k', SK: 'VERSION', latest: 5, delivered: 3, expiresAt: 1 } });
    await expect(store.get('k')).resolves.toEqual({ latest: 5, delivered: 3 });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'jobs-test',
      Key: { PK: 'ENTITY#k', SK: 'VERSION' },
      ConsistentRead: true,
    });
  });

  test('an entity never recorded has neither version', async () => {
    dynamo.on(GetCommand).resolves({});
    const versions = await store.get('k');
    expect(versions).toEqual({});
    expect(versions).not.toHaveProperty('latest');
    expect(versions).not.toHaveProperty('delivered');
  });

  test('a version that is not a number is treated as absent, each on its own', async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({ Item: { latest: '5', delivered: 2 } })
      .resolvesOnce({ Item: { latest: 4 } });
    await expect(store.get('k')).resolves.toEqual({ delivered: 2 });
    await expect(store.get('k')).resolves.toEqual({ latest: 4 });
  });
});
