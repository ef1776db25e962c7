import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
