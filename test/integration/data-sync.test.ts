import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { localSecretArn } from '../../local/aws-endpoints';
import { api, stack, submit, untilStatus } from './support/client';

interface Delivery {
  readonly path: string;
  readonly body: any;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly raw: string;
}

/** A webhook receiver on 127.0.0.1: `/ok` 200, `/flaky` 503 then 200, `/reject` 400, `/throttled` 429 then 200. */
let receiver: Server;
let baseUrl: string;
const deliveries: Delivery[] = [];
const seen = new Map<string, number>();

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => {
      raw += chunk;
    });
    request.on('end', () => {
      const route = (request.url ?? '').split('?')[0] as string;
      deliveries.push({ path: request.url ?? '', body: JSON.parse(raw), headers: request.headers, raw });
      const count = (seen.get(request.url ?? '') ?? 0) + 1;
      seen.set(request.url ?? '', count);
      const status =
        route === '/reject'
          ? 400
          : route === '/flaky' && count === 1
            ? 503
            : route === '/throttled' && count === 1
              ? 429
              : 200;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

/** The stack's own secret, read as an operator would: it must not verify anything by itself. */
const stackSecret = async (): Promise<string> => {
  const template = JSON.parse(
    readFileSync(path.resolve(__dirname, '../../cdk.out/JobQueue.template.json'), 'utf8'),
  );
  const [id] = Object.entries<any>(template.Resources).find(
    ([, resource]) => resource.Type === 'AWS::SecretsManager::Secret',
  ) as [string, unknown];
  const client = new SecretsManagerClient({
    region: stack().region,
    endpoint: stack().dashboardUrl.replace(/\/$/, ''),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { SecretString } = await client.send(
    new GetSecretValueCommand({ SecretId: localSecretArn(stack().region, id) }),
  );
  return SecretString ?? '';
};

/** A user's signing secret, as the contract hands it out. */
const webhookSecret = async (user: 'xena' | 'alice'): Promise<string> => {
  const reply = await api('GET', '/v1/webhooks/secret', { user });
  expect(reply.status).toBe(200);
  expect(reply.body).toMatchObject({
    algorithm: 'HMAC-SHA256',
    header: 'X-Signature',
    signs: '<X-Timestamp>.<url>.<body>',
  });
  return reply.body.secret;
};

/** What a receiver checks: HMAC-SHA256(secret, `<X-Timestamp>.<url>.<body>`) with the URL it was called at. */
const verifies = (secret: string, delivery: Delivery): boolean => {
  const url = `http://${delivery.headers.host}${delivery.path}`;
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret)
      .update(`${delivery.headers['x-timestamp']}.${url}.${delivery.raw}`)
      .digest('hex')}`,
  );
  const received = Buffer.from(String(delivery.headers['x-signature']));
  return expected.length === received.length && timingSafeEqual(expected, received);
};

const sync = (entityId: string, version: number, route: string, extra: Record<string, unknown> = {}) =>
  submit('xena', {
    type: 'data.sync',
    payload: {
      entity: { name: 'resume', id: entityId },
      version,
      url: `${baseUrl}${route}?entity=${entityId}`,
      data: { version },
    },
    ...extra,
  });

test("a delivery is POSTed signed with the submitting user's own secret from GET /v1/webhooks/secret", async () => {
  const job = await sync('r-sig', 1, '/ok');
  const done = await untilStatus('xena', job.jobId, ['completed', 'failed']);
  expect(done.result).toMatchObject({ delivered: true, version: 1, status: 200 });
  const delivery = deliveries.find((entry) => entry.path === '/ok?entity=r-sig') as Delivery;
  expect(delivery.body).toMatchObject({
    entity: { name: 'resume', id: 'r-sig' },
    version: 1,
    data: { version: 1 },
  });
  const timestamp = String(delivery.headers['x-timestamp']);
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
  expect(verifies(await webhookSecret('xena'), delivery)).toBe(true);
});

test("another user's secret, or the stack secret itself, does not verify a user's delivery", async () => {
  const job = await sync('r-other', 1, '/ok');
  await untilStatus('xena', job.jobId, ['completed', 'failed']);
  const delivery = deliveries.find((entry) => entry.path === '/ok?entity=r-other') as Delivery;
  const xena = await webhookSecret('xena');
  const alice = await webhookSecret('alice');
  expect(alice).not.toBe(xena);
  expect(await webhookSecret('xena')).toBe(xena);
  expect(verifies(alice, delivery)).toBe(false);
  expect(verifies(await stackSecret(), delivery)).toBe(false);
  expect(verifies(xena, delivery)).toBe(true);
});

test.each([
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/',
  'http://0xa9fea9fe/',
  'http://10.0.0.1/',
  'http://user:pass@127.0.0.1:9/',
])('a webhook at %s is refused at submission: 400 naming payload.url', async (url) => {
  const reply = await api('POST', '/v1/jobs', {
    user: 'xena',
    body: { type: 'data.sync', payload: { entity: { name: 'resume', id: 'r-ssrf' }, version: 1, url } },
  });
  expect(reply.status).toBe(400);
  expect(reply.body.error.code).toBe('VALIDATION_ERROR');
  expect(reply.body.error.details.fields.map((issue: { field: string }) => issue.field)).toContain(
    'payload.url',
  );
});

test('only the newest version per entity is delivered; older queued ones complete as skipped', async () => {
  const v1 = await sync('r-42', 1, '/ok', { delaySeconds: 2 });
  const v2 = await sync('r-42', 2, '/ok', { delaySeconds: 2 });
  const v3 = await sync('r-42', 3, '/ok');
  const newest = await untilStatus('xena', v3.jobId, ['completed', 'failed']);
  expect(newest.result).toMatchObject({ delivered: true, version: 3 });
  for (const older of [v1, v2]) {
    const done = await untilStatus('xena', older.jobId, ['completed', 'failed']);
    expect(done.result).toMatchObject({ skipped: true, reason: 'superseded', latestVersion: 3 });
  }
  const again = await sync('r-42', 3, '/ok');
  expect((await untilStatus('xena', again.jobId, ['completed'])).result).toMatchObject({
    skipped: true,
    reason: 'already delivered',
  });
  const delivered = deliveries
    .filter((entry) => entry.path === '/ok?entity=r-42')
    .map((entry) => entry.body.version);
  expect(delivered).toEqual([3]);
});

test('a 4xx answer fails at once; 5xx and 429 are retried with backoff until delivered', async () => {
  const rejected = await sync('r-reject', 1, '/reject');
  expect(await untilStatus('xena', rejected.jobId, ['completed', 'failed'])).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'WEBHOOK_REJECTED', retryable: false },
  });
  for (const route of ['/flaky', '/throttled']) {
    const job = await sync(`r${route.slice(1)}`, 1, route);
    const done = await untilStatus('xena', job.jobId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', attempts: 2, result: { delivered: true } });
    const events = (await api('GET', `/v1/jobs/${job.jobId}/events`, { user: 'xena' })).body.events;
    expect(events.find((event: { to: string }) => event.to === 'retrying')?.error.code).toBe(
      'WEBHOOK_UNAVAILABLE',
    );
  }
});

test('an unreachable webhook is retried, not failed', async () => {
  const job = await submit('xena', {
    type: 'data.sync',
    payload: { entity: { name: 'resume', id: 'r-down' }, version: 1, url: 'http://127.0.0.1:9/nothing' },
    maxAttempts: 2,
  });
  const done = await untilStatus('xena', job.jobId, ['failed', 'completed']);
  expect(done).toMatchObject({
    status: 'failed',
    attempts: 2,
    error: { code: 'WEBHOOK_UNREACHABLE', retryable: true },
  });
});
