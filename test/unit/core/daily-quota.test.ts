import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DailyQuota } from '../../../lambdas/core/daily-quota';
import { QuotaExceededError } from '../../../lambdas/core/errors';
import { conditionFailed } from '../support/aws';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const at = (iso: string) => () => new Date(iso);
const inputs = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const refusal = (promise: Promise<void>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as QuotaExceededError,
  );

beforeEach(() => dynamo.reset());

describe('DailyQuota (per user, per UTC day)', () => {
  test("takes the amount from the user's counter of the UTC day, kept until the day after next", async () => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T23:30:00.000Z'));
    await quota.reserve('emails', 'alice', 3, 100);
    expect(inputs()).toEqual([
      expect.objectContaining({
        TableName: 'jobs',
        Key: { PK: 'QUOTA#emails#alice', SK: '2026-11-23' },
        ExpressionAttributeValues: {
          ':count': 3,
          ':ceiling': 97,
          ':expiresAt': Date.parse('2026-11-25T00:00:00Z') / 1000,
        },
      }),
    ]);
  });

  test('each quota and each user count apart', async () => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T10:00:00.000Z'));
    await quota.reserve('uploads', 'alice', 1, 200);
    await quota.reserve('emails', 'bob', 1, 100);
    expect(inputs().map((input) => input.Key)).toEqual([
      { PK: 'QUOTA#uploads#alice', SK: '2026-11-23' },
      { PK: 'QUOTA#emails#bob', SK: '2026-11-23' },
    ]);
  });

  test('midnight UTC starts a new day', async () => {
    await new DailyQuota(client, 'jobs', at('2026-11-23T23:59:59.999Z')).reserve('emails', 'alice', 1, 5);
    await new DailyQuota(client, 'jobs', at('2026-11-24T00:00:00.000Z')).reserve('emails', 'alice', 1, 5);
    expect(inputs().map((input) => input.Key?.SK)).toEqual(['2026-11-23', '2026-11-24']);
  });

  test.each([0, -2])('an amount of %i takes nothing and touches no table', async (amount) => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T10:00:00.000Z'));
    await expect(quota.reserve('emails', 'alice', amount, 100)).resolves.toBeUndefined();
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('exactly the daily limit may be taken at once', async () => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T10:00:00.000Z'));
    await quota.reserve('emails', 'alice', 100, 100);
    expect(inputs()[0]?.ExpressionAttributeValues).toMatchObject({ ':count': 100, ':ceiling': 0 });
  });

  test('more than the whole daily limit is refused without touching the table', async () => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T10:00:00.000Z'));
    const error = await refusal(quota.reserve('emails', 'alice', 101, 100));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.details).toEqual({ quota: 'emails', limitPerDay: 100, retryAfterSeconds: 14 * 3600 });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('a used-up quota is 429 RATE_LIMITED with Retry-After until midnight UTC', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const quota = new DailyQuota(client, 'jobs', at('2026-11-23T10:15:30.400Z'));
    const error = await refusal(quota.reserve('uploads', 'alice', 1, 200));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error.statusCode).toBe(429);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('The daily uploads quota of 200 is used up; it renews at 00:00 UTC.');
    // 13 h 44 min 29.6 s to midnight, rounded up.
    expect(error.details).toEqual({ quota: 'uploads', limitPerDay: 200, retryAfterSeconds: 49_470 });
    expect(error.headers).toEqual({ 'retry-after': '49470' });
  });

  test('Retry-After is a whole day at midnight and 1 s in the last millisecond of the day', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const atMidnight = await refusal(
      new DailyQuota(client, 'jobs', at('2026-11-24T00:00:00.000Z')).reserve('emails', 'a', 1, 1),
    );
    const lastMillisecond = await refusal(
      new DailyQuota(client, 'jobs', at('2026-11-23T23:59:59.999Z')).reserve('emails', 'a', 1, 1),
    );
    expect(atMidnight.headers).toEqual({ 'retry-after': '86400' });
    expect(lastMillisecond.headers).toEqual({ 'retry-after': '1' });
  });

  test('without a clock, the current time is used', async () => {
    jest.useFakeTimers({ now: new Date('2027-02-28T12:00:00.000Z') });
    try {
      await new DailyQuota(client, 'jobs').reserve('emails', 'alice', 1, 10);
    } finally {
      jest.useRealTimers();
    }
    expect(inputs()[0]?.Key).toEqual({ PK: 'QUOTA#emails#alice', SK: '2027-02-28' });
  });
});

describe('DailyQuota.adjust (settling an estimate)', () => {
  test('adds the delta to the counter of the given day in one unconditional update, TTL kept or set', async () => {
    const quota = new DailyQuota(client, 'jobs', at('2026-11-24T00:10:00.000Z'));
    await quota.adjust('aiTokens', 'alice', '2026-11-23', -468);
    expect(inputs()).toEqual([
      {
        TableName: 'jobs',
        Key: { PK: 'QUOTA#aiTokens#alice', SK: '2026-11-23' },
        UpdateExpression: 'ADD #count :delta SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':delta': -468,
          ':expiresAt': Date.parse('2026-11-25T00:00:00Z') / 1000,
        },
      },
    ]);
  });

  test('a zero delta writes nothing; a malformed day is an error', async () => {
    const quota = new DailyQuota(client, 'jobs');
    await quota.adjust('aiTokens', 'alice', '2026-11-23', 0);
    expect(inputs()).toEqual([]);
    await expect(quota.adjust('aiTokens', 'alice', 'yesterday', 5)).rejects.toThrow('Not a day');
  });
});
