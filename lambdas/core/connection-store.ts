import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isExpired } from './job-store';
import { keys } from './table-keys';

/** Connections and subscriptions live at most this long (API Gateway closes sockets after 2 h). */
export const CONNECTION_TTL_SECONDS = 2 * 3600;

export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  readonly isAdmin: boolean;
  /** Partition keys of this connection's subscriptions, so closing needs no scan. */
  readonly subscriptions: string[];
}

/** What a connection listens to: one job, or all of a user's jobs. */
export type SubscriptionTarget = { readonly jobId: string } | { readonly userId: string };

const partitionOf = (target: SubscriptionTarget): string =>
  'jobId' in target ? keys.jobSubscription(target.jobId) : keys.userSubscription(target.userId);

/** WebSocket connections and their job/user subscriptions. */
export class ConnectionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private expiresAt(): number {
    return Math.floor(this.clock().getTime() / 1000) + CONNECTION_TTL_SECONDS;
  }

  async save(connectionId: string, userId: string, isAdmin: boolean): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.connection(connectionId),
          connectionId,
          userId,
          isAdmin,
          connectedAt: this.clock().toISOString(),
          expiresAt: this.expiresAt(),
        },
      }),
    );
  }

  async get(connectionId: string): Promise<Connection | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.connection(connectionId), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item, this.clock())) return undefined;
    return {
      connectionId,
      userId: String(Item.userId),
      isAdmin: Item.isAdmin === true,
      subscriptions: Item.subscriptions instanceof Set ? [...(Item.subscriptions as Set<string>)] : [],
    };
  }

  async subscribe(connectionId: string, target: SubscriptionTarget): Promise<void> {
    const partition = partitionOf(target);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: partition,
          SK: keys.subscriptionSort(connectionId),
          connectionId,
          expiresAt: this.expiresAt(),
        },
      }),
    );
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.connection(connectionId),
        UpdateExpression: 'ADD subscriptions :partition',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':partition': new Set([partition]) },
      }),
    );
  }

  async unsubscribe(connectionId: string, target: SubscriptionTarget): Promise<void> {
    await this.removeSubscriptions(connectionId, [partitionOf(target)]);
  }

  /** Ends every subscription of the connection, keeping the connection. */
  async unsubscribeAll(connectionId: string): Promise<void> {
    const connection = await this.get(connectionId);
    if (connection) await this.removeSubscriptions(connectionId, connection.subscriptions);
  }

  /** Forgets a closed (or gone) connection and all it listened to. */
  async remove(connectionId: string): Promise<void> {
    const connection = await this.get(connectionId);
    if (connection) await this.deleteSubscriptionItems(connectionId, connection.subscriptions);
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.connection(connectionId) }),
    );
  }

  /** Connections listening to this job, directly or through its owner; each once. */
  async subscribersOf(jobId: string, userId: string): Promise<string[]> {
    const pages = await Promise.all(
      [keys.jobSubscription(jobId), keys.userSubscription(userId)].map((partition) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': partition },
          }),
        ),
      ),
    );
    const now = this.clock();
    const ids = new Set<string>();
    for (const page of pages) {
      for (const item of page.Items ?? []) if (!isExpired(item, now)) ids.add(String(item.connectionId));
    }
    return [...ids];
  }

  private async removeSubscriptions(connectionId: string, partitions: readonly string[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.deleteSubscriptionItems(connectionId, partitions);
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.connection(connectionId),
          UpdateExpression: 'DELETE subscriptions :partitions',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':partitions': new Set(partitions) },
        }),
      )
      .catch((error: unknown) => {
        // The connection closed meanwhile: nothing left to update.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  private async deleteSubscriptionItems(connectionId: string, partitions: readonly string[]): Promise<void> {
    for (let start = 0; start < partitions.length; start += 25) {
      const chunk = partitions.slice(start, start + 25);
      await this.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [this.tableName]: chunk.map((partition) => ({
              DeleteRequest: { Key: { PK: partition, SK: keys.subscriptionSort(connectionId) } },
            })),
          },
        }),
      );
    }
  }
}
