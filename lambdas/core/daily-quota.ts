import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QuotaExceededError } from './errors';
import { keys } from './table-keys';
import { takeFromWindow } from './window-counter';

/** Per-user allowances counted per UTC day (`emails`: recipients, `uploads`: upload grants). */
export type QuotaName = 'emails' | 'uploads';

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
}
