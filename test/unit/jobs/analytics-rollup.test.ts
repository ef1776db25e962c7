import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const row = (scope: string, type: string, completed: number) => ({
  PK: 'STATS#2026-11-22',
  SK: `${scope}#${type}#normal`,
  scope,
  type,
  priority: 'normal',
  submitted: completed,
  completed,
  totalDurationMs: completed * 100,
  durationCount: completed,
});

const run = async (at: string) => {
  const { rollup } = await import('../../../lambdas/jobs/analytics-rollup');
  return rollup({
    jobId: 'job-1',
    userId: 'system',
    payload: { at },
    attempt: 1,
    maxAttempts: 3,
    idempotencyKey: 'job-1:1',
    signal: new AbortController().signal,
    progress: async () => {},
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
};

beforeEach(() => {
  dynamo.reset();
  // The users' rows of the day: everyone's are added up from them, never stored.
  dynamo.on(QueryCommand).resolves({
    Items: [
      row('USER#u1', 'system.simulate', 5),
      row('USER#u2', 'system.simulate', 1),
      row('USER#u2', 'email.send', 2),
    ],
  });
  dynamo.on(PutCommand).resolves({});
});

test('rolls each scope of the day into a daily and an hourly item, final once the day has settled', async () => {
  const result = await run('2026-11-23T00:06:00.000Z');
  expect(result).toMatchObject({ days: ['2026-11-22', '2026-11-23'], scopes: 3 });
  const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
  const daily = puts.find((item) => item?.PK === 'ROLLUP#2026-11-22' && item.SK === 'DAY#ALL');
  expect(daily).toMatchObject({ final: true, scope: 'ALL' });
  expect(daily?.rows).toEqual([
    expect.objectContaining({ type: 'system.simulate', submitted: 6, completed: 6, totalDurationMs: 600 }),
    expect.objectContaining({ type: 'email.send', submitted: 2, completed: 2, totalDurationMs: 200 }),
  ]);
  expect(puts.find((item) => item?.SK === 'HOUR#23#USER#u1')).toMatchObject({ final: true });
  // Every user's rows of the day are read.
  expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': 'STATS#2026-11-22', ':prefix': 'USER#' },
  });
});

test('running twice for the same window writes the same items', async () => {
  await run('2026-11-22T15:03:00.000Z');
  const first = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
  dynamo.resetHistory();
  await run('2026-11-22T15:03:00.000Z');
  expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual(first);
  expect(first.find((input) => input.Item?.SK === 'DAY#ALL')?.Item?.final).toBe(false);
});

test('GET /v1/stats reads a settled past day from its rollup item and today from live counters', async () => {
  dynamo.reset();
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: { PK: 'ROLLUP#2026-11-22', SK: 'DAY#USER#user-1' } }).resolves({
    Item: {
      final: true,
      rows: [{ type: 'system.simulate', priority: 'normal', submitted: 7, completed: 6, failed: 1 }],
    },
  });
  dynamo
    .on(QueryCommand)
    .resolves({ Items: [{ ...row('USER#user-1', 'system.simulate', 2), PK: 'STATS#2026-11-23' }] });
  const deps = apiDependencies();
  const result = await route(
    httpEvent('GET /v1/stats', '/v1/stats', { query: { from: '2026-11-22', to: '2026-11-23' } }),
    { ...deps, sqs: { send: async () => ({ Attributes: {} }) } as never },
  );
  expect(result.statusCode).toBe(200);
  expect(parse(result.body).totals).toEqual({ submitted: 9, completed: 8, failed: 1, cancelled: 0 });
  // One query: only today's live counters.
  expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
});
