import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How data.sync deliveries are signed, as `GET /v1/webhooks/secret` describes it. */
export const WEBHOOK_SIGNATURE = {
  algorithm: 'HMAC-SHA256',
  header: 'X-Signature',
  signs: '<X-Timestamp>.<url>.<body>',
} as const;

/**
 * A user's own signing secret: HMAC-SHA256(stack secret, `data.sync:<userId>`), hex. Derived
 * on demand and never stored, so one stack secret serves every user while a receiver holding
 * one user's secret can neither verify nor forge another user's deliveries.
 */
export const userSigningSecret = (stackSecret: string, userId: string): string =>
  createHmac('sha256', stackSecret).update(`data.sync:${userId}`).digest('hex');

/**
 * `sha256=<hex>` of HMAC-SHA256(user secret, `<timestamp>.<url>.<body>`). The URL is signed
 * so a delivery captured at one receiver cannot be replayed to another; the timestamp
 * lets receivers refuse old ones. `url` is the normalized URL (WHATWG `href`, no
 * fragment), which cannot contain `"`, so the body (a JSON object) starts at a fixed place.
 */
export const signDelivery = (userSecret: string, timestamp: string, url: string, body: string): string =>
  `sha256=${createHmac('sha256', userSecret).update(`${timestamp}.${url}.${body}`).digest('hex')}`;

/** The stack's webhook secret, read once per execution environment, and the secrets derived from it. */
export class WebhookSecrets {
  private stackSecret: Promise<string> | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretArn: string,
  ) {}

  /** `userId`'s signing secret. */
  async forUser(userId: string): Promise<string> {
    return userSigningSecret(await this.read(), userId);
  }

  private read(): Promise<string> {
    this.stackSecret ??= this.secrets
      .send(new GetSecretValueCommand({ SecretId: this.secretArn }))
      .then(({ SecretString }) => {
        if (!SecretString) throw new Error('The webhook secret is empty');
        return SecretString;
      })
      .catch((error: unknown) => {
        // A failed read is not cached: the next call tries again.
        this.stackSecret = undefined;
        throw error;
      });
    return this.stackSecret;
  }
}
