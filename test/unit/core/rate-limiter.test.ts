import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RateLimitedError } from '../../../lambdas/core/errors';
import { RateLimiter } from '../../../lambdas/core/rate-limiter';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const at = (iso: string) => () => new Date(iso);

beforeEach(() => dynamo.reset());

test('each user has their own window per minute, expiring by TTL', async () => {
  const limiter = new RateLimiter(client, 'jobs', 120, at('2026-11-23T10:15:30.000Z'));
  await limiter.reserve('alice', 3);
  await limiter.reserve('bob', 1);
  const keys = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key);
  expect(keys).toEqual([
    { PK: 'RATE#alice', SK: '2026-11-23T10:15' },
    { PK: 'RATE#bob', SK: '2026-11-23T10:15' },
  ]);
  expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
    ':count': 3,
    ':ceiling': 117,
    ':expiresAt': Date.parse('2026-11-23T10:15:00Z') / 1000 + 300,
  });
});

test('more jobs than the whole limit are refused without touching the table', async () => {
  const limiter = new RateLimiter(client, 'jobs', 50, at('2026-11-23T10:15:30.000Z'));
  await expect(limiter.reserve('alice', 51)).rejects.toBeInstanceOf(RateLimitedError);
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test('exactly the limit is admitted', async () => {
  const limiter = new RateLimiter(client, 'jobs', 50, at('2026-11-23T10:15:30.000Z'));
  await limiter.reserve('alice', 50);
  expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':ceiling']).toBe(
    0,
  );
});

test('a full window is 429 with Retry-After until the next minute (1–60 s)', async () => {
  dynamo.on(UpdateCommand).rejects(conditionFailed());
  const limiter = new RateLimiter(client, 'jobs', 120, at('2026-11-23T10:15:30.400Z'));
  const error = await limiter.reserve('alice', 1).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RateLimitedError);
  expect((error as RateLimitedError).headers).toEqual({ 'retry-after': '30' });
});
