import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { VersionStore } from '../core/version-store';
import { syncEntityKey } from './data-sync-key';
import { JobFailure } from './job-failure';
import type { JobContext } from './job-type';

export interface DataSyncPayload {
  readonly entity: { readonly name: string; readonly id: string };
  readonly version: number;
  readonly url: string;
  readonly data?: Record<string, unknown>;
}

const config = readConfig(['tableName', 'webhookSecretArn']);
const secrets = new SecretsManagerClient({});
const versions = new VersionStore(documentClient, config.tableName);

/** How long one delivery may take before it counts as a timeout (and is retried). */
const REQUEST_TIMEOUT_MS = 10_000;
/** The signing secret is read once per execution environment, then kept. */
let signingSecret: Promise<string> | undefined;

const secret = (): Promise<string> => {
  signingSecret ??= secrets
    .send(new GetSecretValueCommand({ SecretId: config.webhookSecretArn }))
    .then(({ SecretString }) => {
      if (!SecretString) throw new Error('The webhook secret is empty');
      return SecretString;
    })
    .catch((error: unknown) => {
      signingSecret = undefined;
      throw error;
    });
  return signingSecret;
};

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`): receivers check both, against replays. */
export const signature = (secretValue: string, timestamp: string, body: string) =>
  `sha256=${createHmac('sha256', secretValue).update(`${timestamp}.${body}`).digest('hex')}`;

/**
 * data.sync: POSTs the entity to a webhook, signed (`X-Signature`, `X-Timestamp`).
 * Only the newest version per entity is delivered: an older one, or one already
 * delivered, completes as `{ skipped: true }`. 4xx (except 408/429) is fatal;
 * 5xx, 408, 429, network errors and timeouts are retried with backoff.
 */
export const syncEntity = async (context: JobContext<DataSyncPayload>) => {
  const { entity, version, url, data } = context.payload;
  const key = syncEntityKey(context.userId, entity);
  const known = await versions.get(key);
  if ((known.latest ?? version) > version) {
    return { skipped: true, reason: 'superseded', version, latestVersion: known.latest };
  }
  if ((known.delivered ?? -1) >= version) {
    return { skipped: true, reason: 'already delivered', version, deliveredVersion: known.delivered };
  }

  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = JSON.stringify({
    entity,
    version,
    data: data ?? null,
    jobId: context.jobId,
    sentAt: new Date().toISOString(),
  });
  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'jobqueue-data-sync',
        'x-signature': signature(await secret(), timestamp, body),
        'x-timestamp': timestamp,
        'x-idempotency-key': `${context.jobId}:${version}`,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([context.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
  } catch (error) {
    context.signal.throwIfAborted();
    throw new JobFailure(
      'WEBHOOK_UNREACHABLE',
      `The webhook could not be reached: ${(error as Error).message}`,
      {
        retryable: true,
        cause: error,
      },
    );
  }
  await response.body?.cancel();
  if (response.status >= 200 && response.status < 300) {
    await versions.recordDelivered(key, version);
    return { delivered: true, version, status: response.status, durationMs: Date.now() - started };
  }
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new JobFailure(
    retryable ? 'WEBHOOK_UNAVAILABLE' : 'WEBHOOK_REJECTED',
    `The webhook answered ${response.status}`,
    { retryable },
  );
};
