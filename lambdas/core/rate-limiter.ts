import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RateLimitedError } from './errors';
import { keys } from './table-keys';
import { takeFromWindow } from './window-counter';

/**
 * Per-user submission limit over fixed one-minute windows: one conditional counter
 * update per submission (or per batch), refused once the window's count would pass the
 * limit. Windows expire by TTL.
 */
export class RateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limitPerMinute: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Counts `count` accepted jobs for `userId`, or throws RateLimitedError with Retry-After. */
  async reserve(userId: string, count: number): Promise<void> {
    if (count <= 0) return;
    const now = this.clock();
    const windowStart = new Date(now);
    windowStart.setUTCSeconds(0, 0);
    const minute = windowStart.toISOString().slice(0, 16);
    const retryAfter = Math.min(
      60,
      Math.max(1, Math.ceil((windowStart.getTime() + 60_000 - now.getTime()) / 1000)),
    );
    if (count > this.limitPerMinute) throw new RateLimitedError(retryAfter, this.limitPerMinute);
    const taken = await takeFromWindow(
      this.client,
      this.tableName,
      keys.rateWindow(userId, minute),
      count,
      this.limitPerMinute,
      Math.floor(windowStart.getTime() / 1000) + 300,
    );
    if (!taken) throw new RateLimitedError(retryAfter, this.limitPerMinute);
  }
}
