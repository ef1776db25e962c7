import * as z from 'zod';
import { MAX_NOTIFICATIONS, type Notification, NotificationStore } from '../core/notification-store';
import type { User } from '../core/user';
import { limitParam, parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

const notificationsQuerySchema = z.object({ limit: limitParam(MAX_NOTIFICATIONS).optional() }).strict();

/**
 * GET /v1/notifications: the caller's own last notifications (user.notify), newest
 * first; `limit` 1–50, default 50. Nobody reads another user's, admins included.
 */
export const listNotifications = async (
  query: Record<string, string | undefined>,
  user: User,
  deps: ApiDependencies,
): Promise<{ notifications: Notification[] }> => {
  const { limit } = parseOrThrow(notificationsQuerySchema, query, 'The notifications query is invalid.');
  const store = new NotificationStore(deps.documentClient, deps.settings.tableName, deps.clock);
  return { notifications: await store.latest(user.id, limit ?? MAX_NOTIFICATIONS) };
};
