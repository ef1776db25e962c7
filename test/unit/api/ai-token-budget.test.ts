import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { ENHANCE_RESUME_RESERVED_TOKENS } from '../../../lambdas/jobs/ai/ai-payload';
import { apiDependencies, NOW } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
});

const submit = (body: unknown, options: { groups?: string; aiDailyTokens?: number } = {}) =>
  route(
    httpEvent('POST /v1/jobs', '/v1/jobs', { body, groups: options.groups }),
    apiDependencies({ aiDailyTokens: options.aiDailyTokens }),
  );
const quotaUpdates = () =>
  dynamo
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Key?.PK).startsWith('QUOTA#'));

const complete = (content: string, extra: Record<string, unknown> = {}) => ({
  type: 'ai.complete',
  payload: { messages: [{ role: 'user', content }], ...extra },
});

describe('the daily AI token budget at submit', () => {
  test('ai.complete reserves ⌈prompt characters / 4⌉ + maxTokens from the aiTokens quota of today', async () => {
    const result = await submit(complete('x'.repeat(41), { maxTokens: 300 }), { aiDailyTokens: 1000 });
    expect(result.statusCode).toBe(202);
    expect(quotaUpdates()).toEqual([
      expect.objectContaining({
        Key: { PK: 'QUOTA#aiTokens#user-1', SK: NOW.toISOString().slice(0, 10) },
        ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
        ExpressionAttributeValues: expect.objectContaining({ ':count': 11 + 300, ':ceiling': 1000 - 311 }),
      }),
    ]);
  });

  test('without maxTokens the default completion (1024) is reserved', async () => {
    await submit(complete('abcd'));
    expect(quotaUpdates()[0]?.ExpressionAttributeValues?.[':count']).toBe(1 + 1024);
  });

  test('ai.enhanceResume reserves its fixed estimate', async () => {
    await submit({ type: 'ai.enhanceResume', payload: { fileKey: 'uploads/user-1/abc/cv.pdf' } });
    expect(quotaUpdates()[0]?.ExpressionAttributeValues?.[':count']).toBe(ENHANCE_RESUME_RESERVED_TOKENS);
  });

  test('a spent budget is 429 RATE_LIMITED naming the aiTokens quota, with Retry-After; nothing saved', async () => {
    dynamo.on(UpdateCommand, { Key: { PK: 'QUOTA#aiTokens#user-1' } }).rejects(conditionFailed());
    const result = await submit(complete('hello', { maxTokens: 10 }));
    expect(result.statusCode).toBe(429);
    expect(parse(result.body).error).toMatchObject({ code: 'RATE_LIMITED', details: { quota: 'aiTokens' } });
    expect(Number(result.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  test('a job asking for more than the whole budget is refused without a write', async () => {
    const result = await submit(complete('hello', { maxTokens: 5000 }), { aiDailyTokens: 1000 });
    expect(result.statusCode).toBe(429);
    expect(quotaUpdates()).toEqual([]);
  });

  test('admins are not counted', async () => {
    expect((await submit(complete('hello'), { groups: '[admin]' })).statusCode).toBe(202);
    expect(quotaUpdates()).toEqual([]);
  });

  test.each([
    ['no messages', { type: 'ai.complete', payload: { messages: [] } }],
    [
      'an unknown role',
      {
        type: 'ai.complete',
        payload: { messages: [{ role: 'tool', content: 'x' }] },
      },
    ],
    ['maxTokens over the limit', complete('x', { maxTokens: 32_001 })],
    ['temperature over 2', complete('x', { temperature: 2.5 })],
    ['an unknown responseFormat', complete('x', { responseFormat: { type: 'xml' } })],
    ['an extra field', complete('x', { stream: true })],
    ['a fileKey that is not an upload', { type: 'ai.enhanceResume', payload: { fileKey: 'results/x.json' } }],
  ])('%s is a 400 VALIDATION_ERROR, nothing reserved', async (_case, body) => {
    const result = await submit(body);
    expect(result.statusCode).toBe(400);
    expect(parse(result.body).error.code).toBe('VALIDATION_ERROR');
    expect(quotaUpdates()).toEqual([]);
  });

  test("someone else's upload is NOT_FOUND for ai.enhanceResume", async () => {
    const result = await submit({
      type: 'ai.enhanceResume',
      payload: { fileKey: 'uploads/user-2/abc/cv.pdf' },
    });
    expect(result.statusCode).toBe(404);
  });
});
