import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { decodeTime } from 'ulidx';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { ConnectionStore } from '../core/connection-store';
import { type Notification, NotificationStore } from '../core/notification-store';
import { managementClient } from '../core/socket-client';
import { encodeFrame } from '../core/socket-frame';
import type { JobContext, JobLogger } from './job-type';
import type { UserNotifyPayload } from './user-notify-payload';

export interface UserNotifyDependencies {
  readonly connections: Pick<ConnectionStore, 'connectionsOf' | 'remove'>;
  readonly notifications: Pick<NotificationStore, 'add'>;
  readonly management: ApiGatewayManagementApiClient;
}

export interface UserNotifyResult {
  readonly notificationId: string;
  /** Open connections of the target user the frame reached. */
  readonly delivered: number;
  /** A retried attempt found the notification stored already: nothing was stored or pushed again. */
  readonly duplicate?: true;
}

/**
 * The notification a job makes, the same on every attempt: its id is the job's, its
 * `at` the moment the job was submitted (the time in its ULID), so a retried attempt
 * writes the very same item and the put's condition tells it apart.
 */
export const notificationOf = (jobId: string, payload: UserNotifyPayload): Notification => ({
  id: jobId,
  at: new Date(decodeTime(jobId)).toISOString(),
  level: payload.level,
  title: payload.title,
  message: payload.message,
  ...(payload.link === undefined ? {} : { link: payload.link }),
});

const isGone = (error: unknown) =>
  error instanceof GoneException ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

/**
 * user.notify: stores the notification for the target user (the submitter, or whom an
 * admin named) and pushes a `user.notification` frame to each of their open connections,
 * subscribed or not.
 *
 * Once per job: the connections are read first (a failure there leaves nothing stored,
 * and the retry does it all), then the notification is put conditionally. A retry that
 * finds it stored pushes nothing either — at most one frame per connection, and a client
 * that missed one (a crash between store and push) catches up with GET /v1/notifications.
 * After the put nothing throws: a connection that is gone (410) is forgotten as the job
 * notifier does, any other failed push is logged and skipped.
 */
export const deliverNotification = async (
  context: JobContext<UserNotifyPayload>,
  deps: UserNotifyDependencies,
): Promise<UserNotifyResult> => {
  const target = context.payload.userId ?? context.userId;
  const notification = notificationOf(context.jobId, context.payload);
  const connectionIds = await deps.connections.connectionsOf(target);
  if (!(await deps.notifications.add(target, notification))) {
    context.logger.info('Notification stored by an earlier attempt; not pushed again', {
      notificationId: notification.id,
    });
    return { notificationId: notification.id, delivered: 0, duplicate: true };
  }
  const frame = encodeFrame({ type: 'user.notification', notification });
  const reached = await Promise.all(
    connectionIds.map((connectionId) => push(connectionId, target, frame, deps, context.logger)),
  );
  return { notificationId: notification.id, delivered: reached.filter(Boolean).length };
};

const push = async (
  connectionId: string,
  userId: string,
  frame: Uint8Array,
  deps: UserNotifyDependencies,
  logger: JobLogger,
): Promise<boolean> => {
  try {
    await deps.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: frame }));
    return true;
  } catch (error) {
    if (isGone(error)) {
      await deps.connections.remove(connectionId, userId).catch((cleanup: unknown) => {
        logger.warn('Could not forget a gone connection', { connectionId, error: cleanup });
      });
    } else {
      logger.warn('Could not push a notification to a connection', { connectionId, error });
    }
    return false;
  }
};

let dependencies: UserNotifyDependencies | undefined;

/** The handler the worker runs, over the stack's table and WebSocket stage. */
export const notifyUser = (context: JobContext<UserNotifyPayload>): Promise<UserNotifyResult> => {
  if (!dependencies) {
    const config = readConfig(['tableName', 'webSocketCallbackUrl']);
    dependencies = {
      connections: new ConnectionStore(documentClient, config.tableName),
      notifications: new NotificationStore(documentClient, config.tableName),
      management: managementClient(config.webSocketCallbackUrl),
    };
  }
  return deliverNotification(context, dependencies);
};
