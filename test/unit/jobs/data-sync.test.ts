import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';

process.env.WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks';
const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const fetchMock = jest.spyOn(globalThis, 'fetch');

const payload = { entity: { name: 'resume', id: 'r-1' }, version: 4, url: 'https://hooks.example.test/in' };
const context = (overrides: Record<string, unknown> = {}) => ({
  jobId: 'job-1',
  userId: 'user-1',
  payload: { ...payload, ...overrides } as never,
  attempt: 1,
  maxAttempts: 25,
  idempotencyKey: 'job-1:1',
  signal: new AbortController().signal,
  progress: async () => {},
  logger: { debug() {}, info() {}, warn() {}, error() {} },
});
const load = async () => (await import('../../../lambdas/jobs/data-sync')).syncEntity;

beforeEach(() => {
  secrets.reset();
  dynamo.reset();
  fetchMock.mockReset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'top-secret' });
  dynamo.on(UpdateCommand).resolves({});
});

afterAll(() => fetchMock.mockRestore());

test('signs `<timestamp>.<body>` with the stack secret and records the delivered version', async () => {
  dynamo.on(GetCommand).resolves({ Item: { latest: 4 } });
  fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
  const result = await (await load())(context());
  expect(result).toMatchObject({ delivered: true, version: 4, status: 204 });
  const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
  expect(url).toBe(payload.url);
  const headers = init.headers as Record<string, string>;
  const expected = createHmac('sha256', 'top-secret')
    .update(`${headers['x-timestamp']}.${init.body}`)
    .digest('hex');
  expect(headers['x-signature']).toBe(`sha256=${expected}`);
  expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { PK: 'ENTITY#user-1#resume#r-1', SK: 'VERSION' },
    ExpressionAttributeNames: expect.objectContaining({ '#attribute': 'delivered' }),
    ExpressionAttributeValues: expect.objectContaining({ ':version': 4 }),
  });
});

test.each([
  [{ latest: 5 }, 'superseded'],
  [{ latest: 4, delivered: 4 }, 'already delivered'],
])('versions %p skip the delivery (%s) without calling the webhook', async (item, reason) => {
  dynamo.on(GetCommand).resolves({ Item: item });
  const result = await (await load())(context());
  expect(result).toMatchObject({ skipped: true, reason });
  expect(fetchMock).not.toHaveBeenCalled();
});

test.each([
  [400, 'WEBHOOK_REJECTED', false],
  [404, 'WEBHOOK_REJECTED', false],
  [408, 'WEBHOOK_UNAVAILABLE', true],
  [429, 'WEBHOOK_UNAVAILABLE', true],
  [503, 'WEBHOOK_UNAVAILABLE', true],
])('HTTP %i is %s (retryable: %s)', async (status, code, retryable) => {
  dynamo.on(GetCommand).resolves({ Item: { latest: 4 } });
  fetchMock.mockResolvedValue(new Response(null, { status }));
  await expect((await load())(context())).rejects.toMatchObject({ code, retryable });
});
