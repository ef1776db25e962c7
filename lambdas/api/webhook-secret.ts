import type { User } from '../core/user';
import { WEBHOOK_SIGNATURE } from '../jobs/webhook-signing';
import type { ApiDependencies } from './dependencies';

/**
 * GET /v1/webhooks/secret: the caller's own data.sync signing secret (derived from the
 * stack's secret and their user id, so it is stable and never another user's) and how
 * deliveries are signed with it.
 */
export const getWebhookSecret = async (user: User, deps: ApiDependencies) => ({
  secret: await deps.webhookSecrets.forUser(user.id),
  ...WEBHOOK_SIGNATURE,
});
