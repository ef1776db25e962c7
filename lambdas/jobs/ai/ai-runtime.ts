import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { documentClient } from '../../core/aws-clients';
import { readConfig } from '../../core/config';
import { DailyQuota } from '../../core/daily-quota';
import { JobFailure } from '../job-failure';
import { CachedApiKey } from './api-key';
import { ChatClient } from './chat-client';

/** What the ai.* handlers share in a worker: read and checked at cold start, clients at module scope. */
const config = readConfig(['aiEndpoint', 'aiModel', 'aiApiKeySecretArn', 'tableName']);
const apiKey = new CachedApiKey(new SecretsManagerClient({}), config.aiApiKeySecretArn);

const client = config.aiEndpoint
  ? new ChatClient({ endpoint: config.aiEndpoint, model: config.aiModel, apiKey: () => apiKey.get() })
  : undefined;

export const tokenQuota = new DailyQuota(documentClient, config.tableName);

/**
 * Reads the API key ahead of the first job (once per cold start, when an endpoint is set):
 * the worker loads a rate-limited type's handler before admitting its start, so the
 * provider sees requests at the admitted rate, not a burst after each cold start.
 */
export const warmUp = async (): Promise<void> => {
  if (client) await apiKey.get().catch(() => undefined);
};

/** The stack's chat client; without a configured endpoint the job fails at once. */
export const chatClient = (): ChatClient => {
  if (!client) {
    throw new JobFailure(
      'AI_NOT_CONFIGURED',
      'No AI endpoint is configured for this stack (context jobqueue:aiEndpoint)',
      { retryable: false },
    );
  }
  return client;
};
