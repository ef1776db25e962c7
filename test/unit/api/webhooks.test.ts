import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, WEBHOOK_SECRET_ARN } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const STACK_SECRET = 'stack-secret-for-tests';
const dynamo = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => {
  dynamo.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: STACK_SECRET });
  delete process.env.WEBHOOK_ALLOW_LOOPBACK;
});

afterAll(() => {
  delete process.env.WEBHOOK_ALLOW_LOOPBACK;
});

describe('GET /v1/webhooks/secret', () => {
  const getSecret = (user: string | null, deps = apiDependencies()) =>
    route(httpEvent('GET /v1/webhooks/secret', '/v1/webhooks/secret', { user }), deps);

  test("answers the caller's own secret, HMAC-SHA256(stack secret, 'data.sync:<sub>'), and how it signs", async () => {
    const result = await getSecret('alice');
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({
      secret: createHmac('sha256', STACK_SECRET).update('data.sync:alice').digest('hex'),
      algorithm: 'HMAC-SHA256',
      header: 'X-Signature',
      signs: '<X-Timestamp>.<url>.<body>',
    });
    expect(result.headers?.['cache-control']).toBe('no-store');
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: WEBHOOK_SECRET_ARN });
  });

  test('is stable for one user and different for another; the stack secret itself is never answered', async () => {
    const deps = apiDependencies();
    const alice = parse((await getSecret('alice', deps)).body).secret;
    const again = parse((await getSecret('alice', deps)).body).secret;
    const bob = parse((await getSecret('bob', deps)).body).secret;
    expect(again).toBe(alice);
    expect(bob).not.toBe(alice);
    expect([alice, bob]).not.toContain(STACK_SECRET);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  test('401 without a subject, and the secret is not read', async () => {
    const result = await getSecret(null);
    expect(result.statusCode).toBe(401);
    expect(parse(result.body).error.code).toBe('UNAUTHORIZED');
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
  });
});

describe('POST /v1/jobs data.sync url', () => {
  const submit = (url: unknown) =>
    route(
      httpEvent('POST /v1/jobs', '/v1/jobs', {
        body: { type: 'data.sync', payload: { entity: { name: 'resume', id: 'r-1' }, version: 1, url } },
      }),
      apiDependencies(),
    );

  test.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::169.254.169.254]/',
    'http://0xa9fea9fe/',
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://169.254.169.254./',
    'http://[fe80::1]/',
    'http://10.0.0.5/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://[fc00::1]/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://127.0.0.1:8080/',
    'http://[::1]:9001/2018-06-01/runtime/invocation/next',
    'http://localhost/',
    'http://224.0.0.1/',
    'http://user:pass@hooks.example.com/',
    'ftp://hooks.example.com/',
    'file:///etc/passwd',
    'not a url',
    42,
  ])('400 VALIDATION_ERROR naming payload.url for %p; nothing is written', async (url) => {
    const result = await submit(url);
    expect(result.statusCode).toBe(400);
    const { error } = parse(result.body);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details.fields.map((issue: { field: string }) => issue.field)).toEqual(['payload.url']);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('a public https URL is accepted and stored normalized, without its fragment', async () => {
    const result = await submit('HTTPS://Hooks.Example.com/in?x=1#ignored');
    expect(result.statusCode).toBe(202);
    expect(parse(result.body).payload.url).toBe('https://hooks.example.com/in?x=1');
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        payload: expect.objectContaining({ url: 'https://hooks.example.com/in?x=1' }),
      }),
    });
  });

  test('a refused url inside a batch fails its own entry only', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const entry = (url: string) => ({
      type: 'data.sync',
      payload: { entity: { name: 'resume', id: 'r-1' }, version: 1, url },
    });
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        body: { jobs: [entry('https://hooks.example.com/in'), entry('http://0xa9fea9fe/')] },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    const [accepted, refused] = parse(result.body).jobs;
    expect(accepted).toMatchObject({ type: 'data.sync', status: 'queued' });
    expect(refused.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { fields: [expect.objectContaining({ field: 'payload.url' })] },
    });
  });

  test('with WEBHOOK_ALLOW_LOOPBACK=true loopback is accepted, link-local and private still refused', async () => {
    process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
    expect((await submit('http://127.0.0.1:4000/hook')).statusCode).toBe(202);
    expect((await submit('http://localhost:4000/hook')).statusCode).toBe(202);
    for (const url of ['http://169.254.169.254/', 'http://[::ffff:7f00:1]/', 'http://10.0.0.1/']) {
      const result = await submit(url);
      expect({ url, status: result.statusCode }).toEqual({ url, status: 400 });
    }
  });
});
