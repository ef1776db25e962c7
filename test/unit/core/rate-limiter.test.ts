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

describe('RateLimiter edges', () => {
  const refusal = (promise: Promise<void>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error as RateLimitedError,
    );

  test.each([0, -1])('a count of %i reserves nothing', async (count) => {
    const limiter = new RateLimiter(client, 'jobs', 120, at('2026-11-23T10:15:30.000Z'));
    await expect(limiter.reserve('alice', count)).resolves.toBeUndefined();
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('the window is the whole UTC minute: its counter item and TTL ignore seconds and milliseconds', async () => {
    const limiter = new RateLimiter(client, 'jobs', 120, at('2026-11-23T10:15:59.999Z'));
    await limiter.reserve('alice', 1);
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        TableName: 'jobs',
        Key: { PK: 'RATE#alice', SK: '2026-11-23T10:15' },
        ExpressionAttributeValues: {
          ':count': 1,
          ':ceiling': 119,
          ':expiresAt': Date.parse('2026-11-23T10:15:00Z') / 1000 + 300,
        },
      }),
    ]);
  });

  test('a refusal carries the limit and Retry-After in its details and header', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const limiter = new RateLimiter(client, 'jobs', 120, at('2026-11-23T10:15:30.400Z'));
    const error = await refusal(limiter.reserve('alice', 1));
    expect(error.statusCode).toBe(429);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('Too many jobs submitted: the limit is 120 per minute.');
    expect(error.details).toEqual({ retryAfterSeconds: 30, limitPerMinute: 120 });
  });

  test('Retry-After is 60 s at the start of a minute and 1 s in its last millisecond', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const start = await refusal(
      new RateLimiter(client, 'jobs', 5, at('2026-11-23T10:15:00.000Z')).reserve('a', 1),
    );
    const end = await refusal(
      new RateLimiter(client, 'jobs', 5, at('2026-11-23T10:15:59.999Z')).reserve('a', 1),
    );
    expect(start.headers).toEqual({ 'retry-after': '60' });
    expect(end.headers).toEqual({ 'retry-after': '1' });
  });

  test('a batch over the whole limit is refused with the same Retry-After', async () => {
    const limiter = new RateLimiter(client, 'jobs', 50, at('2026-11-23T10:15:45.000Z'));
    const error = await refusal(limiter.reserve('alice', 51));
    expect(error.details).toEqual({ retryAfterSeconds: 15, limitPerMinute: 50 });
  });

  test('without a clock, the current time is used', async () => {
    jest.useFakeTimers({ now: new Date('2027-03-01T08:09:10.000Z') });
    try {
      await new RateLimiter(client, 'jobs', 10).reserve('alice', 1);
    } finally {
      jest.useRealTimers();
    }
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({
      PK: 'RATE#alice',
      SK: '2027-03-01T08:09',
    });
  });
});
