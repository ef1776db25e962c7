import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './table-keys';

export interface EntityVersions {
  /** Newest version submitted. */
  readonly latest?: number;
  /** Newest version delivered. */
  readonly delivered?: number;
}

/** An entity's record lives this long after its last write, then DynamoDB's TTL removes it. */
export const VERSION_RECORD_TTL_DAYS = 30;

/**
 * Newest-version-wins bookkeeping for jobs that supersede older ones (data.sync): the
 * dispatcher records each submitted version before its message is sent, the job records
 * what it delivered. Both only ever move up (conditional updates), so races are harmless.
 *
 * Every write that moves a version also pushes the record's TTL (`expiresAt`) to
 * `ttlDays` after now, so one record per entity ever synced does not stay forever. An
 * entity idle that long starts afresh: the only cost is that a version older than the
 * forgotten one, submitted after the gap, is delivered rather than skipped.
 */
export class VersionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
    private readonly ttlDays: number = VERSION_RECORD_TTL_DAYS,
  ) {}

  async get(key: string): Promise<EntityVersions> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.entityVersions(key), ConsistentRead: true }),
    );
    return {
      ...(typeof Item?.latest === 'number' ? { latest: Item.latest } : {}),
      ...(typeof Item?.delivered === 'number' ? { delivered: Item.delivered } : {}),
    };
  }

  recordSubmitted(key: string, version: number): Promise<void> {
    return this.raise(key, 'latest', version);
  }

  recordDelivered(key: string, version: number): Promise<void> {
    return this.raise(key, 'delivered', version);
  }

  private async raise(key: string, attribute: 'latest' | 'delivered', version: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.entityVersions(key),
          UpdateExpression: 'SET #attribute = :version, #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#attribute) OR #attribute < :version',
          ExpressionAttributeNames: { '#attribute': attribute, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':version': version,
            ':expiresAt': Math.floor(this.clock().getTime() / 1000) + this.ttlDays * 24 * 3600,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
