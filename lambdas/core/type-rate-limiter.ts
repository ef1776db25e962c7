import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './table-keys';
import { takeFromWindow } from './window-counter';

/**
 * A rate shared by every worker of every priority: jobs of one type started per second,
 * counted in one item per (type, second) with a single conditional update — the update
 * that would pass the limit fails, and that start waits. Windows expire by TTL.
 */
export class TypeRateLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Takes one start of `type` in the second of `at`; false when `perSecond` are taken already. */
  async tryAcquire(type: string, perSecond: number, at: Date = this.clock()): Promise<boolean> {
    const second = Math.floor(at.getTime() / 1000);
    return takeFromWindow(
      this.client,
      this.tableName,
      keys.typeRateWindow(type, second),
      1,
      perSecond,
      second + 120,
    );
  }
}
