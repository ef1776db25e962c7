import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired } from './job-store';
import { keys } from './table-keys';

export const NOTIFICATION_LEVELS = ['info', 'warning', 'error', 'success'] as const;
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number];

/** A notification as `GET /v1/notifications` and the `user.notification` frame show it. */
export interface Notification {
  readonly id: string;
  readonly at: string;
  readonly level: NotificationLevel;
  readonly title: string;
  readonly message: string;
  readonly link?: string;
}

/** `GET /v1/notifications` answers at most this many: a user's last ones. */
export const MAX_NOTIFICATIONS = 50;

/** Days a notification is kept: TTL deletes are free, a delete per note beyond the 50th is not. */
export const NOTIFICATION_TTL_DAYS = 30;

const notificationOf = (item: Record<string, unknown>): Notification => ({
  id: String(item.id),
  at: String(item.at),
  level: item.level as NotificationLevel,
  title: String(item.title),
  message: String(item.message),
  ...(typeof item.link === 'string' ? { link: item.link } : {}),
});

/**
 * Each user's notifications: `NOTE#<userId>` / `<at>#<id>`, one item (≤ 1 KB, 1 WCU)
 * each, never updated. "The last 50" is what the read answers (a query of the newest 50,
 * about 2 read units); older ones are not deleted one by one (a read and a write more per
 * notification) but left to the TTL, which bounds the partition for free.
 */
export class NotificationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Stores the notification unless it already is (same user, `at` and id: a retried job
   * attempt), in one conditional put. True when this call stored it.
   */
  async add(userId: string, notification: Notification): Promise<boolean> {
    const expiresAt = Math.floor(Date.parse(notification.at) / 1000) + NOTIFICATION_TTL_DAYS * 86_400;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.notification(userId, notification.at, notification.id),
            ...notification,
            expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The user's newest `limit` notifications, newest first: one query, eventually
   * consistent (half the price; a notification stored a moment ago was pushed anyway).
   */
  async latest(userId: string, limit: number = MAX_NOTIFICATIONS): Promise<Notification[]> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.notifications(userId) },
        ScanIndexForward: false,
        Limit: Math.min(Math.max(1, limit), MAX_NOTIFICATIONS),
      }),
    );
    const now = this.clock();
    return (page?.Items ?? []).filter((item) => !isExpired(item, now)).map(notificationOf);
  }
}
