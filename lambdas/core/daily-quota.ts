import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { QuotaExceededError } from './errors';
import { keys } from './table-keys';
import { takeFromWindow } from './window-counter';

/**
 * Per-user allowances counted per UTC day (`emails`: recipients, `uploads`: upload grants,
 * `aiTokens`: AI tokens, estimated at submit and corrected after the call).
 */
export type QuotaName = 'emails' | 'uploads' | 'aiTokens';

const DAY_MS = 86_400_000;

/**
 * Per-user daily quotas: one conditional counter update per request, so concurrent
 * requests can never pass the limit together. The day's counter deletes itself (TTL).
 */
export class DailyQuota {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Takes `amount` of `userId`'s `quota` for today, or throws 429 with Retry-After until midnight UTC. */
  async reserve(quota: QuotaName, userId: string, amount: number, limitPerDay: number): Promise<void> {
    if (amount <= 0) return;
    const now = this.clock();
    const dayStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
    const retryAfter = Math.max(1, Math.ceil((dayStart + DAY_MS - now.getTime()) / 1000));
    const day = new Date(dayStart).toISOString().slice(0, 10);
    const taken =
      amount <= limitPerDay &&
      (await takeFromWindow(
        this.client,
        this.tableName,
        keys.dailyQuota(quota, userId, day),
        amount,
        limitPerDay,
        Math.floor((dayStart + 2 * DAY_MS) / 1000),
      ));
    if (!taken) throw new QuotaExceededError(quota, limitPerDay, retryAfter);
  }

  /**
   * Corrects what was reserved on `day` (YYYY-MM-DD, the day of the reservation) by `delta`,
   * up or down: one unconditional ADD, since the amount was spent already whatever the
   * limit says. A counter that expired meanwhile starts again from `delta`, as a day's
   * counter would (its TTL is set then too, so it never stays).
   */
  async adjust(quota: QuotaName, userId: string, day: string, delta: number): Promise<void> {
    if (!Number.isFinite(delta) || delta === 0) return;
    const dayStart = Date.parse(`${day}T00:00:00.000Z`);
    if (Number.isNaN(dayStart)) throw new Error(`Not a day: ${day}`);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.dailyQuota(quota, userId, day),
        UpdateExpression: 'ADD #count :delta SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':delta': Math.round(delta),
          ':expiresAt': Math.floor((dayStart + 2 * DAY_MS) / 1000),
        },
      }),
    );
  }
}
