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
import type { JobRecord } from './job';
import { isExpired, toJobRecord } from './job-store';
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

/** The job state a subscriber's snapshot showed: pushes of older (or the same) states are not news to it. */
export interface SnapshotMark {
  readonly version: number;
  readonly updatedAt: string;
}

/** A connection to push a job's changes to, and what it has already seen. */
export interface Subscriber {
  readonly connectionId: string;
  /** `job`: subscribed to this very job (snapshot first); `user`: to all of the owner's jobs. */
  readonly scope: 'job' | 'user';
  /**
   * A job subscription whose snapshot is still being sent: nothing may be pushed to it
   * yet, or a push could overtake the snapshot (see lambdas/socket/socket-session.ts).
   */
  readonly pending: boolean;
  /** The snapshot an active job subscription started from; absent for user-wide ones. */
  readonly since?: SnapshotMark;
}

/** What became of a pending job subscription on activation. */
export type Activation = 'active' | 'missed' | 'gone';

const subscriberOf = (item: Record<string, unknown>, scope: Subscriber['scope']): Subscriber => ({
  connectionId: String(item.connectionId),
  scope,
  pending: item.pending === true,
  ...(typeof item.fromVersion === 'number'
    ? { since: { version: item.fromVersion, updatedAt: String(item.fromUpdatedAt ?? '') } }
    : {}),
});

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

  /**
   * Records an open connection: its item (`CONN#<id>`, read on every frame) and an entry
   * in its user's partition (`USERCONN#<userId>`), so user.notify finds a user's open
   * connections with one query of a tiny partition. That entry is the one extra write of
   * a connection (1 WCU here, 1 more when `remove` deletes it); a GSI on the connection
   * item would cost the same writes and read only eventually consistently.
   */
  async save(connectionId: string, userId: string, isAdmin: boolean): Promise<void> {
    const expiresAt = this.expiresAt();
    await Promise.all([
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.connection(connectionId),
            connectionId,
            userId,
            isAdmin,
            connectedAt: this.clock().toISOString(),
            expiresAt,
          },
        }),
      ),
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            PK: keys.userConnections(userId),
            SK: keys.subscriptionSort(connectionId),
            connectionId,
            expiresAt,
          },
        }),
      ),
    ]);
  }

  /**
   * The user's open connections (any number, no subscription needed), read consistently:
   * a connection opened a moment ago is found. Expired entries (closed without a
   * `$disconnect`, not yet swept by TTL) are left out.
   */
  async connectionsOf(userId: string): Promise<string[]> {
    const now = this.clock();
    const found: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': keys.userConnections(userId) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page?.Items ?? []) if (!isExpired(item, now)) found.push(String(item.connectionId));
      start = page?.LastEvaluatedKey;
    } while (start);
    return found;
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

  /**
   * Records a subscription. One to a job starts `pending`: the notifier pushes nothing to
   * it until `activate` names the snapshot the client got. A user-wide one is live at once
   * (it has no snapshot to wait for).
   */
  async subscribe(connectionId: string, target: SubscriptionTarget): Promise<void> {
    const partition = partitionOf(target);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: partition,
          SK: keys.subscriptionSort(connectionId),
          connectionId,
          ...('jobId' in target ? { pending: true } : {}),
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

  /**
   * Sets the job's `watched` flag, so the notify event source passes its changes on (its
   * filter drops records of unwatched jobs: they cost no invocation and no query). Not a
   * change of the job: no version, no `updatedAt`, no event, so nothing is pushed or sent
   * for it. Returns the job as it stands after the flag (the write's own image: a
   * snapshot no later change can precede), or undefined when the job is gone.
   */
  async watchJob(jobId: string): Promise<JobRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          UpdateExpression: 'SET watched = :true',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':true': true },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes || isExpired(Attributes, this.clock())) return undefined;
      return toJobRecord(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Makes a pending job subscription live from the snapshot the client was sent. Refused
   * (`missed`) when the notifier skipped a change of the job meanwhile (it marks the
   * subscription, see `markMissed`): the caller then sends a newer snapshot and tries
   * again. `force` activates whatever was missed (the caller's last try). `gone`: the
   * subscription was removed meanwhile (unsubscribed, or the connection closed).
   */
  async activate(
    connectionId: string,
    jobId: string,
    since: SnapshotMark,
    options: { force?: boolean } = {},
  ): Promise<Activation> {
    const key = { PK: keys.jobSubscription(jobId), SK: keys.subscriptionSort(connectionId) };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET fromVersion = :version, fromUpdatedAt = :updatedAt REMOVE pending, missed',
          ConditionExpression: options.force
            ? 'attribute_exists(pending)'
            : 'attribute_exists(pending) AND attribute_not_exists(missed)',
          ExpressionAttributeValues: { ':version': since.version, ':updatedAt': since.updatedAt },
        }),
      );
      return 'active';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (!Item) return 'gone';
    // Not pending any more: a concurrent subscribe of the same connection activated it.
    return Item.pending === true ? 'missed' : 'active';
  }

  /**
   * Clears a pending job subscription's `missed` mark before the caller reads the job
   * again: a change the notifier skips from now on marks it anew. False when the
   * subscription is no longer pending (removed meanwhile).
   */
  async rearm(connectionId: string, jobId: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: keys.jobSubscription(jobId), SK: keys.subscriptionSort(connectionId) },
          UpdateExpression: 'REMOVE missed',
          ConditionExpression: 'attribute_exists(pending)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The notifier skipped a change of the job for this pending subscription: marks it, so
   * its activation is refused and the client gets a newer snapshot. If the subscription
   * was activated (or removed) meanwhile, returns it as it now stands, for the caller to
   * push to after all; a pending one that was marked comes back still pending.
   */
  async markMissed(jobId: string, connectionId: string): Promise<Subscriber | undefined> {
    const key = { PK: keys.jobSubscription(jobId), SK: keys.subscriptionSort(connectionId) };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET missed = :true',
          ConditionExpression: 'attribute_exists(pending)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
      return { connectionId, scope: 'job', pending: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item && !isExpired(Item, this.clock()) ? subscriberOf(Item, 'job') : undefined;
  }

  /**
   * Whether the user has a live user-wide subscription (`{ "action": "subscribe" }`), so
   * the jobs they submit now are born watched. One eventually consistent query of a tiny
   * partition (0.5 read units); a subscription made in the last moment (replication lag,
   * well under a second) may not be seen yet.
   */
  async watchesAllJobs(userId: string): Promise<boolean> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':pk': keys.userSubscription(userId),
          ':now': Math.floor(this.clock().getTime() / 1000),
        },
        Select: 'COUNT',
      }),
    );
    // A client stubbed to answer nothing (tests of other routes) reads as nobody watching.
    return (page?.Count ?? 0) > 0;
  }

  async unsubscribe(connectionId: string, target: SubscriptionTarget): Promise<void> {
    await this.removeSubscriptions(connectionId, [partitionOf(target)]);
  }

  /** Ends every subscription of the connection, keeping the connection. */
  async unsubscribeAll(connectionId: string): Promise<void> {
    const connection = await this.get(connectionId);
    if (connection) await this.removeSubscriptions(connectionId, connection.subscriptions);
  }

  /**
   * Forgets a closed (or gone) connection, all it listened to and its entry among its
   * user's connections (deleted in the same batch as the subscriptions). `userId`, when
   * the caller knows it, removes that entry even if the connection item is gone already.
   */
  async remove(connectionId: string, userId?: string): Promise<void> {
    const connection = await this.get(connectionId);
    const owner = connection?.userId ?? userId;
    await this.deleteSubscriptionItems(connectionId, [
      ...(connection?.subscriptions ?? []),
      ...(owner === undefined ? [] : [keys.userConnections(owner)]),
    ]);
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.connection(connectionId) }),
    );
  }

  /**
   * Connections listening to this job, directly or through its owner; each once. A
   * connection subscribed both ways is governed by its job subscription (pending: not
   * yet; active: only what its snapshot did not show). Read consistently: a stale read
   * could miss a subscription just activated, and with it a push.
   */
  async subscribersOf(jobId: string, userId: string): Promise<Subscriber[]> {
    const [jobPage, userPage] = await Promise.all(
      [keys.jobSubscription(jobId), keys.userSubscription(userId)].map((partition) =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': partition },
            ConsistentRead: true,
          }),
        ),
      ),
    );
    const now = this.clock();
    const subscribers = new Map<string, Subscriber>();
    for (const [page, scope] of [
      [jobPage, 'job'],
      [userPage, 'user'],
    ] as const) {
      for (const item of page?.Items ?? []) {
        const subscriber = subscriberOf(item, scope);
        if (!isExpired(item, now) && !subscribers.has(subscriber.connectionId))
          subscribers.set(subscriber.connectionId, subscriber);
      }
    }
    return [...subscribers.values()];
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

/**
 * The jobs a user submits, as they are to be saved: born `watched` when the user has a
 * live user-wide subscription, so the notify event source passes their very first
 * record (the `queued` push) and every later one. One query per request, batch or not.
 * Why not flag a user's jobs at subscribe instead: that needs the user index and a write
 * per job in flight, from the internet-facing socket handler; this costs 0.5 RRU a
 * submit request and nothing when nobody watches.
 */
export const bornWatched = async (
  jobs: readonly JobRecord[],
  userId: string,
  store: Pick<ConnectionStore, 'watchesAllJobs'>,
): Promise<JobRecord[]> => {
  if (jobs.length === 0 || !(await store.watchesAllJobs(userId))) return [...jobs];
  return jobs.map((job) => ({ ...job, watched: true }));
};
