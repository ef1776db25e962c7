import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './table-keys';

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
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.typeRateWindow(type, second),
          UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':limit': perSecond, ':expiresAt': second + 120 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
