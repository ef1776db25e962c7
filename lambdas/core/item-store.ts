import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JobError } from './job';
import { keys } from './table-keys';

/** One element of a bulk job, stored as `JOB#<jobId>` / `ITEM#<000000n>`. */
export interface BulkItem {
  readonly index: number;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly result?: unknown;
  readonly error?: JobError;
}

export interface ItemPage {
  readonly items: BulkItem[];
  /** Index of the last item returned when more follow. */
  readonly lastIndex?: number;
}

/** A bulk job's per-item rows, in index order. */
export class ItemStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records one item's outcome; rows expire with `expiresAt` (epoch seconds). */
  async put(jobId: string, item: BulkItem, expiresAt: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.item(jobId, item.index), ...item, expiresAt },
      }),
    );
  }

  /** Every item row of a job (a bulk job has at most a few hundred). */
  async listAll(jobId: string): Promise<BulkItem[]> {
    const items: BulkItem[] = [];
    let afterIndex: number | undefined;
    do {
      const page = await this.list(jobId, { afterIndex, limit: 500 });
      items.push(...page.items);
      afterIndex = page.lastIndex;
    } while (afterIndex !== undefined);
    return items;
  }

  async list(jobId: string, options: { afterIndex?: number; limit: number }): Promise<ItemPage> {
    const { PK } = keys.job(jobId);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': PK, ':prefix': keys.itemPrefix },
        ExclusiveStartKey:
          options.afterIndex === undefined ? undefined : keys.item(jobId, options.afterIndex),
        Limit: options.limit,
      }),
    );
    const items = (response.Items ?? []).map(
      (row): BulkItem => ({
        index: Number(row.index),
        status: row.status as BulkItem['status'],
        ...(row.result === undefined ? {} : { result: row.result }),
        ...(row.error === undefined ? {} : { error: row.error as JobError }),
      }),
    );
    const last = items.at(-1);
    return { items, ...(response.LastEvaluatedKey && last ? { lastIndex: last.index } : {}) };
  }
}
