import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as mockedLookup } from 'node:dns/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { refuseSystemDns } from '../support/no-system-dns';

process.env.WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks';
// The receiver below listens on 127.0.0.1, as in the local cloud; link-local stays refused.
process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
const STACK_SECRET = 'top-secret';
const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
// Name resolution is replaced outright: no test here may ask a real DNS server anything.
jest.mock('node:dns/promises', () => ({
  lookup: jest.fn(async () => {
    throw new Error('unmocked lookup');
  }),
}));
const lookup = mockedLookup as unknown as jest.Mock;
// And Node's own lookup, should a connection bypass the checked addresses.
const systemLookup = refuseSystemDns();

interface Delivery {
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
let receiver: Server;
let port: number;
let answer = 204;
const deliveries: Delivery[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      deliveries.push({ url: request.url, headers: request.headers, body });
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});

afterAll(async () => {
  systemLookup.mockRestore();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const hookUrl = () => `http://hooks.example.test:${port}/in?entity=r-1`;
const context = (overrides: Record<string, unknown> = {}) => ({
  jobId: 'job-1',
  userId: 'user-1',
  payload: { entity: { name: 'resume', id: 'r-1' }, version: 4, url: hookUrl(), ...overrides } as never,
  attempt: 1,
  maxAttempts: 25,
  idempotencyKey: 'job-1:1',
  signal: new AbortController().signal,
  progress: async () => {},
  logger: { debug() {}, info() {}, warn() {}, error() {} },
});
const load = async () => (await import('../../../lambdas/jobs/data-sync')).syncEntity;

/** What a receiver does with its secret from GET /v1/webhooks/secret. */
const verifies = (secret: string, url: string, delivery: Delivery) => {
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret)
      .update(`${delivery.headers['x-timestamp']}.${url}.${delivery.body}`)
      .digest('hex')}`,
  );
  const received = Buffer.from(String(delivery.headers['x-signature']));
  return expected.length === received.length && timingSafeEqual(expected, received);
};
const derived = (userId: string) =>
  createHmac('sha256', STACK_SECRET).update(`data.sync:${userId}`).digest('hex');

beforeEach(() => {
  secrets.reset();
  dynamo.reset();
  lookup.mockReset();
  systemLookup.mockClear();
  deliveries.length = 0;
  answer = 204;
  secrets.on(GetSecretValueCommand).resolves({ SecretString: STACK_SECRET });
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(GetCommand).resolves({ Item: { latest: 4 } });
  // The name resolves once to the receiver; a second lookup (DNS rebinding) would answer
  // an address nothing listens on, so only a delivery to the checked address succeeds.
  lookup
    .mockResolvedValueOnce([{ address: '127.0.0.1', family: 4 }])
    .mockResolvedValue([{ address: '127.0.0.2', family: 4 }]);
});

test("signs `<timestamp>.<url>.<body>` with the submitting user's own secret and records the delivered version", async () => {
  const result = await (await load())(context());
  expect(result).toMatchObject({ delivered: true, version: 4, status: 204 });
  expect(deliveries).toHaveLength(1);
  const delivery = deliveries[0] as Delivery;
  expect(delivery.url).toBe('/in?entity=r-1');
  expect(delivery.headers.host).toBe(`hooks.example.test:${port}`);
  expect(JSON.parse(delivery.body)).toMatchObject({ entity: { name: 'resume', id: 'r-1' }, version: 4 });
  expect(verifies(derived('user-1'), hookUrl(), delivery)).toBe(true);
  expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { PK: 'ENTITY#user-1#resume#r-1', SK: 'VERSION' },
    ExpressionAttributeNames: { '#attribute': 'delivered' },
    ExpressionAttributeValues: { ':version': 4 },
  });
});

test("another user's secret, the stack secret, or another URL do not verify the delivery", async () => {
  await (await load())(context());
  const delivery = deliveries[0] as Delivery;
  expect(verifies(derived('user-2'), hookUrl(), delivery)).toBe(false);
  expect(verifies(STACK_SECRET, hookUrl(), delivery)).toBe(false);
  expect(verifies(derived('user-1'), `http://other.example.test:${port}/in?entity=r-1`, delivery)).toBe(
    false,
  );
});

test('the host is resolved once and the connection goes to the address that was checked', async () => {
  await (await load())(context());
  expect(systemLookup).not.toHaveBeenCalled();
  expect(lookup).toHaveBeenCalledTimes(1);
  expect(lookup).toHaveBeenCalledWith('hooks.example.test', expect.objectContaining({ all: true }));
  expect(deliveries).toHaveLength(1);
});

test('a name resolving to 169.254.169.254 fails at once: no request, nothing recorded', async () => {
  lookup.mockReset().mockResolvedValue([{ address: '169.254.169.254', family: 4 }]);
  await expect((await load())(context())).rejects.toMatchObject({
    code: 'WEBHOOK_ADDRESS_REFUSED',
    retryable: false,
  });
  expect(deliveries).toHaveLength(0);
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test('a queued job whose URL the rules now refuse fails at delivery, unresolved', async () => {
  await expect((await load())(context({ url: 'http://0xa9fea9fe/latest/meta-data/' }))).rejects.toMatchObject(
    { code: 'WEBHOOK_ADDRESS_REFUSED', retryable: false },
  );
  expect(lookup).not.toHaveBeenCalled();
});

test.each([
  [{ latest: 5 }, 'superseded'],
  [{ latest: 4, delivered: 4 }, 'already delivered'],
])('versions %p skip the delivery (%s) without calling the webhook', async (item, reason) => {
  dynamo.on(GetCommand).resolves({ Item: item });
  const result = await (await load())(context());
  expect(result).toMatchObject({ skipped: true, reason });
  expect(deliveries).toHaveLength(0);
  expect(lookup).not.toHaveBeenCalled();
});

test.each([
  [302, 'WEBHOOK_REJECTED', false],
  [400, 'WEBHOOK_REJECTED', false],
  [404, 'WEBHOOK_REJECTED', false],
  [408, 'WEBHOOK_UNAVAILABLE', true],
  [429, 'WEBHOOK_UNAVAILABLE', true],
  [503, 'WEBHOOK_UNAVAILABLE', true],
])('HTTP %i is %s (retryable: %s)', async (status, code, retryable) => {
  answer = status;
  await expect((await load())(context())).rejects.toMatchObject({ code, retryable });
  expect(deliveries).toHaveLength(1);
});

test('nothing listening is a retryable WEBHOOK_UNREACHABLE', async () => {
  lookup.mockReset().mockResolvedValue([{ address: '127.0.0.2', family: 4 }]);
  await expect((await load())(context())).rejects.toMatchObject({
    code: 'WEBHOOK_UNREACHABLE',
    retryable: true,
  });
});
