import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { signDelivery, userSigningSecret, WebhookSecrets } from '../../../lambdas/jobs/webhook-signing';

const STACK_SECRET = 'stack-secret-value';
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => secrets.reset());

/** What a receiver does with the secret from GET /v1/webhooks/secret, written out independently. */
const receiverVerifies = (secret: string, timestamp: string, url: string, body: string, header: string) => {
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${url}.${body}`).digest('hex')}`,
  );
  const received = Buffer.from(header);
  return expected.length === received.length && timingSafeEqual(expected, received);
};

const timestamp = '1764400000';
const url = 'https://alice.example.com/hooks/sync';
const body = '{"entity":{"name":"resume","id":"r-1"},"version":1}';

test("a user's secret is HMAC-SHA256(stack secret, 'data.sync:<userId>'), stable and distinct per user", () => {
  const alice = userSigningSecret(STACK_SECRET, 'alice');
  expect(alice).toBe(createHmac('sha256', STACK_SECRET).update('data.sync:alice').digest('hex'));
  expect(userSigningSecret(STACK_SECRET, 'alice')).toBe(alice);
  expect(userSigningSecret(STACK_SECRET, 'bob')).not.toBe(alice);
  expect(userSigningSecret('another-stack', 'alice')).not.toBe(alice);
  expect(alice).not.toContain(STACK_SECRET);
});

test("a signature captured from one user's delivery does not verify under another user's secret", () => {
  const alice = userSigningSecret(STACK_SECRET, 'alice');
  const bob = userSigningSecret(STACK_SECRET, 'bob');
  const captured = signDelivery(alice, timestamp, url, body);
  expect(receiverVerifies(alice, timestamp, url, body, captured)).toBe(true);
  expect(receiverVerifies(bob, timestamp, url, body, captured)).toBe(false);
});

test('the signature covers the URL, the timestamp and the body', () => {
  const secret = userSigningSecret(STACK_SECRET, 'alice');
  const signature = signDelivery(secret, timestamp, url, body);
  expect(signDelivery(secret, timestamp, 'https://bob.example.com/hooks/sync', body)).not.toBe(signature);
  expect(signDelivery(secret, '1764400001', url, body)).not.toBe(signature);
  expect(signDelivery(secret, timestamp, url, body.replace('r-1', 'r-2'))).not.toBe(signature);
  expect(receiverVerifies(secret, timestamp, 'https://bob.example.com/hooks/sync', body, signature)).toBe(
    false,
  );
});

describe('WebhookSecrets', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks';

  test('reads the stack secret once per execution environment and derives each user from it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: STACK_SECRET });
    const store = new WebhookSecrets(new SecretsManagerClient({ region: 'eu-west-1' }), ARN);
    expect(await store.forUser('alice')).toBe(userSigningSecret(STACK_SECRET, 'alice'));
    expect(await store.forUser('bob')).toBe(userSigningSecret(STACK_SECRET, 'bob'));
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  test('a failed read is not kept: the next call reads again', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: STACK_SECRET });
    const store = new WebhookSecrets(new SecretsManagerClient({ region: 'eu-west-1' }), ARN);
    await expect(store.forUser('alice')).rejects.toThrow('throttled');
    expect(await store.forUser('alice')).toBe(userSigningSecret(STACK_SECRET, 'alice'));
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  test('an empty secret is an error, never an empty signing key', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const store = new WebhookSecrets(new SecretsManagerClient({ region: 'eu-west-1' }), ARN);
    await expect(store.forUser('alice')).rejects.toThrow(/empty/);
  });
});
