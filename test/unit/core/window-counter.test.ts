import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { takeFromWindow } from '../../../lambdas/core/window-counter';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const KEY = { PK: 'RATE#alice', SK: '2026-11-23T10:15' };

beforeEach(() => dynamo.reset());

describe('takeFromWindow (one conditional counter update)', () => {
  test('adds the amount only while the count stays within the limit, and sets the TTL once', async () => {
    await expect(takeFromWindow(client, 'jobs', KEY, 3, 10, 1_790_000_000)).resolves.toBe(true);
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'jobs',
        Key: { PK: 'RATE#alice', SK: '2026-11-23T10:15' },
        UpdateExpression: 'ADD #count :count SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':count': 3, ':ceiling': 7, ':expiresAt': 1_790_000_000 },
      },
    ]);
  });

  test('the ceiling is the limit minus the amount: taking the whole limit needs an empty window', async () => {
    await takeFromWindow(client, 'jobs', KEY, 10, 10, 1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({
      ':count': 10,
      ':ceiling': 0,
      ':expiresAt': 1,
    });
  });

  test('a full window (the condition fails) is false, not an error', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(takeFromWindow(client, 'jobs', KEY, 1, 10, 1)).resolves.toBe(false);
  });

  test('any other failure of the update is rethrown unchanged', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    dynamo.on(UpdateCommand).rejects(throttled);
    await expect(takeFromWindow(client, 'jobs', KEY, 1, 10, 1)).rejects.toThrow(
      'Rate of requests exceeds the allowed throughput.',
    );
  });
});
