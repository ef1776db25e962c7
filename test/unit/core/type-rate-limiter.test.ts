import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { TypeRateLimiter } from '../../../lambdas/core/type-rate-limiter';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const inputs = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => dynamo.reset());

describe('TypeRateLimiter (starts per type per second, shared by every worker)', () => {
  test('takes one start in the window of the type and the whole second, expiring two minutes later', async () => {
    const limiter = new TypeRateLimiter(client, 'jobs', () => new Date('2026-11-23T10:15:30.999Z'));
    await expect(limiter.tryAcquire('email.send', 14)).resolves.toBe(true);
    const second = Date.parse('2026-11-23T10:15:30Z') / 1000;
    expect(inputs()).toEqual([
      expect.objectContaining({
        TableName: 'jobs',
        Key: { PK: 'TYPERATE#email.send', SK: String(second) },
        ExpressionAttributeValues: { ':count': 1, ':ceiling': 13, ':expiresAt': second + 120 },
      }),
    ]);
  });

  test('an explicit instant wins over the clock', async () => {
    const limiter = new TypeRateLimiter(client, 'jobs', () => new Date('2030-01-01T00:00:00Z'));
    await limiter.tryAcquire('data.sync', 20, new Date(5_000));
    expect(inputs()[0]?.Key).toEqual({ PK: 'TYPERATE#data.sync', SK: '5' });
    expect(inputs()[0]?.ExpressionAttributeValues?.[':expiresAt']).toBe(125);
  });

  test('a full second answers false', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const limiter = new TypeRateLimiter(client, 'jobs', () => new Date(0));
    await expect(limiter.tryAcquire('email.send', 14)).resolves.toBe(false);
  });

  test('without a clock, the current time is used', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-23T10:15:30.500Z') });
    try {
      await new TypeRateLimiter(client, 'jobs').tryAcquire('pdf.render', 5);
    } finally {
      jest.useRealTimers();
    }
    expect(inputs()[0]?.Key?.SK).toBe(String(Date.parse('2026-11-23T10:15:30Z') / 1000));
  });
});
