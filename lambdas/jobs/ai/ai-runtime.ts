import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { documentClient } from '../../core/aws-clients';
import { readConfig } from '../../core/config';
import { DailyQuota } from '../../core/daily-quota';
import { ENV } from '../../core/environment';
import { TypeRateLimiter } from '../../core/type-rate-limiter';
import { JobFailure } from '../job-failure';
import { findJobType } from '../registry';
import { PerSecondGate } from '../request-gate';
import { CachedApiKey } from './api-key';
import { ChatClient } from './chat-client';

/** What the ai.* handlers share in a worker: read and checked at cold start, clients at module scope. */
const config = readConfig(['aiEndpoint', 'aiModel', 'aiApiKeySecretArn', 'tableName', 'jobRateLimits']);
if (config.aiEndpoint && !config.aiApiKeySecretArn) {
  // The stack sets both or neither: one without the other is a broken deployment, said at cold start.
  throw new Error(`${ENV.aiApiKeySecretArn} is required when ${ENV.aiEndpoint} is set`);
}
const apiKey = new CachedApiKey(new SecretsManagerClient({}), config.aiApiKeySecretArn);
const requestRates = new TypeRateLimiter(documentClient, config.tableName);

/** One client per AI type: each holds its requests to its type's rate (the stack's, else the registry's). */
const clients = new Map<string, ChatClient>();
const clientFor = (endpoint: string, type: string): ChatClient => {
  let client = clients.get(type);
  if (!client) {
    const perSecond = config.jobRateLimits[type] ?? findJobType(type)?.rateLimit?.perSecond;
    client = new ChatClient({
      endpoint,
      model: config.aiModel,
      apiKey: () => apiKey.get(),
      ...(perSecond === undefined
        ? {}
        : {
            gate: new PerSecondGate({
              limiter: requestRates,
              key: `${type}#requests`,
              perSecond,
              postponeCode: 'AI_RATE_LIMITED',
            }),
          }),
    });
    clients.set(type, client);
  }
  return client;
};

export const tokenQuota = new DailyQuota(documentClient, config.tableName);

/**
 * Reads the API key ahead of the first job (once per cold start, when an endpoint is set):
 * the worker loads a rate-limited type's handler before admitting its start, so the
 * provider sees requests at the admitted rate, not a burst after each cold start.
 */
export const warmUp = async (): Promise<void> => {
  if (config.aiEndpoint) await apiKey.get().catch(() => undefined);
};

/** The stack's chat client; without a configured endpoint the job fails at once. */
export const chatClient = (type: 'ai.complete' | 'ai.enhanceResume'): ChatClient => {
  if (!config.aiEndpoint) {
    throw new JobFailure(
      'AI_NOT_CONFIGURED',
      'No AI endpoint is configured for this stack (context jobqueue:aiEndpoint)',
      { retryable: false },
    );
  }
  return clientFor(config.aiEndpoint, type);
};
