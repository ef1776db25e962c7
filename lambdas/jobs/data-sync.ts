import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { VersionStore } from '../core/version-store';
import { syncEntityKey } from './data-sync-key';
import { JobFailure } from './job-failure';
import type { JobContext } from './job-type';
import { postWebhook, resolveDeliveryTarget } from './webhook-delivery';
import { signDelivery, WebhookSecrets } from './webhook-signing';

export interface DataSyncPayload {
  readonly entity: { readonly name: string; readonly id: string };
  readonly version: number;
  readonly url: string;
  readonly data?: Record<string, unknown>;
}

const config = readConfig(['tableName', 'webhookSecretArn', 'webhookAllowLoopback']);
const signingSecrets = new WebhookSecrets(new SecretsManagerClient({}), config.webhookSecretArn);
const versions = new VersionStore(documentClient, config.tableName);
const addressPolicy = { allowLoopback: config.webhookAllowLoopback };

/** How long one delivery may take before it counts as a timeout (and is retried). */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * data.sync: POSTs the entity to a webhook, signed with the submitting user's own secret
 * (`X-Signature` over `X-Timestamp`, URL and body). Only the newest version per entity is
 * delivered: an older one, or one already delivered, completes as `{ skipped: true }`.
 * Only public addresses are reached (checked after resolution, and connected to as
 * checked); a refused address fails at once. 4xx (except 408/429) is fatal; 5xx, 408,
 * 429, network errors and timeouts are retried with backoff.
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

  const target = await resolveDeliveryTarget(url, addressPolicy);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = JSON.stringify({
    entity,
    version,
    data: data ?? null,
    jobId: context.jobId,
    sentAt: new Date().toISOString(),
  });
  const userSecret = await signingSecrets.forUser(context.userId);
  const started = Date.now();
  let status: number;
  try {
    status = await postWebhook({
      target,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'jobqueue-data-sync',
        'x-signature': signDelivery(userSecret, timestamp, target.url.href, body),
        'x-timestamp': timestamp,
        'x-idempotency-key': `${context.jobId}:${version}`,
      },
      body,
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
  if (status >= 200 && status < 300) {
    await versions.recordDelivered(key, version);
    return { delivered: true, version, status, durationMs: Date.now() - started };
  }
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new JobFailure(
    retryable ? 'WEBHOOK_UNAVAILABLE' : 'WEBHOOK_REJECTED',
    `The webhook answered ${status}`,
    { retryable },
  );
};
