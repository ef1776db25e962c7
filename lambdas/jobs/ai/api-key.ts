import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How long a read key is used before it is read again (a rotated key is picked up then). */
export const API_KEY_TTL_MS = 5 * 60_000;

/**
 * The AI API key from its Secrets Manager secret: read on first use, then kept for
 * API_KEY_TTL_MS, so a warm worker reads it about once per five minutes, not per job.
 */
export class CachedApiKey {
  private cached: { value: string; until: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretArn: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    if (this.cached && this.cached.until > this.now()) return this.cached.value;
    this.pending ??= this.secrets
      .send(new GetSecretValueCommand({ SecretId: this.secretArn }))
      .then((output) => {
        const value = (output.SecretString ?? '').trim();
        if (!value) throw new Error('The AI API key secret is empty');
        this.cached = { value, until: this.now() + API_KEY_TTL_MS };
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
