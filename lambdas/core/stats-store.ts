import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys, scopes } from './table-keys';

export const COUNTERS = [
  'submitted',
  'completed',
  'failed',
  'cancelled',
  'totalDurationMs',
  'durationCount',
] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counters = Record<Counter, number>;

export interface CounterKey {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  /** `ALL` or `USER#<userId>`. */
  readonly scope: string;
  readonly type: string;
  readonly priority: string;
}

export interface CounterRow extends CounterKey, Counters {}

export const emptyCounters = (): Counters => ({
  submitted: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  totalDurationMs: 0,
  durationCount: 0,
});

export { scopes };

const USER_PREFIX = scopes.user('');

/** Users' rows of one day added up per type × priority, as everyone's (`ALL`) rows. */
const everyone = (day: string, rows: readonly CounterRow[]): CounterRow[] => {
  const sums = new Map<string, CounterRow>();
  for (const row of rows) {
    const id = `${row.type}#${row.priority}`;
    const sum = sums.get(id) ?? {
      ...emptyCounters(),
      day,
      scope: scopes.all,
      type: row.type,
      priority: row.priority,
    };
    for (const counter of COUNTERS) sum[counter] += row[counter];
    sums.set(id, sum);
  }
  return [...sums.values()];
};

/**
 * Statistics as counters, never scans: per day × user × type × priority counters.
 * Writers add deltas (one update per item per stream batch); readers cost one query per
 * day (or one rollup item for a settled day), everyone's scope included.
 */
export class StatsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async addCounters(key: CounterKey, deltas: Partial<Counters>): Promise<void> {
    const entries = Object.entries(deltas).filter(([, value]) => value !== undefined && value !== 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':day': key.day,
      ':scope': key.scope,
      ':type': key.type,
      ':priority': key.priority,
    };
    const additions = entries.map(([counter, value], index) => {
      names[`#c${index}`] = counter;
      values[`:c${index}`] = value;
      return `#c${index} :c${index}`;
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { PK: keys.stats(key.day), SK: keys.statsSort(key.scope, key.type, key.priority) },
        UpdateExpression: `SET #day = :day, #scope = :scope, #type = :type, #priority = :priority ADD ${additions.join(', ')}`,
        ExpressionAttributeNames: {
          ...names,
          '#day': 'day',
          '#scope': 'scope',
          '#type': 'type',
          '#priority': 'priority',
        },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Every counter row of one day within `scope`. Everyone's rows (`ALL`) are not written:
   * they are the users' rows of the day added up per type × priority (one query of the
   * day's user rows; rows an older version wrote under `ALL` are left out, since the
   * users' rows always held the same counts).
   */
  async readDay(day: string, scope: string): Promise<CounterRow[]> {
    if (scope !== scopes.all) return this.queryDay(day, `${scope}#`);
    return everyone(day, await this.queryDay(day, USER_PREFIX));
  }

  /** Every counter row of one day: each user's, and everyone's added up (for the rollup). */
  async readDayAllScopes(day: string): Promise<CounterRow[]> {
    const users = await this.queryDay(day, USER_PREFIX);
    return [...users, ...everyone(day, users)];
  }

  private async queryDay(day: string, prefix: string): Promise<CounterRow[]> {
    const rows: CounterRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.stats(day), ':prefix': prefix },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const row = { ...emptyCounters() } as Record<string, unknown>;
        for (const counter of COUNTERS) row[counter] = Number(item[counter] ?? 0);
        rows.push({
          ...(row as Counters),
          day,
          scope: String(item.scope ?? String(item.SK).split('#').slice(0, -2).join('#')),
          type: String(item.type),
          priority: String(item.priority),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return rows;
  }

  /**
   * Writes one rollup item whole (`ROLLUP#<day>` / `<period>#<scope>`): running the
   * rollup twice for the same window leaves the same item.
   */
  async putRollup(day: string, period: string, scope: string, rows: readonly CounterRow[], final: boolean) {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.rollup(day, period, scope),
          day,
          period,
          scope,
          final,
          rows: rows.map(({ type, priority, ...counters }) => ({
            type,
            priority,
            ...Object.fromEntries(COUNTERS.map((counter) => [counter, counters[counter]])),
          })),
        },
      }),
    );
  }

  /** A day's rows from its final daily rollup (one read), or undefined if the day is not rolled up yet. */
  async readFinalDay(day: string, scope: string): Promise<CounterRow[] | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.rollup(day, 'DAY', scope) }),
    );
    if (!Item?.final || !Array.isArray(Item.rows)) return undefined;
    return (Item.rows as Record<string, unknown>[]).map((row) => ({
      ...(Object.fromEntries(COUNTERS.map((counter) => [counter, Number(row[counter] ?? 0)])) as Counters),
      day,
      scope,
      type: String(row.type),
      priority: String(row.priority),
    }));
  }
}
