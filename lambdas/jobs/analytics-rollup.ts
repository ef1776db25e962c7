import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { type Counters, emptyCounters, StatsStore, scopes } from '../core/stats-store';
import type { JobContext } from './job-type';

export interface RollupPayload {
  readonly at?: string;
}

const config = readConfig(['tableName']);
const stats = new StatsStore(documentClient, config.tableName);

const HOUR_MS = 3_600_000;

/**
 * analytics.rollup (every 5 minutes): snapshots the day's all-user counters as of the
 * hour that just ended, and the day's summary. Both items are written whole (SET, not
 * ADD), so running twice for the same window leaves the same result.
 * A fuller rollup (hourly deltas, retention of old counters) comes with the analytics issue.
 */
export const rollup = async (context: JobContext<RollupPayload>) => {
  const at = context.payload.at ? new Date(context.payload.at) : new Date();
  const hourEnd = new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
  const hourStart = new Date(hourEnd.getTime() - HOUR_MS);
  const day = hourStart.toISOString().slice(0, 10);
  const rows = await stats.readDay(day, scopes.all);
  await context.progress({
    percent: 50,
    stage: 'aggregating',
    message: `${rows.length} counter rows for ${day}`,
  });

  const totals: Counters = emptyCounters();
  for (const row of rows)
    for (const name of Object.keys(totals) as (keyof Counters)[]) totals[name] += row[name];
  const summary = { ...totals, rows: rows.length, computedAt: new Date().toISOString() };
  await Promise.all([
    documentClient.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { PK: `ROLLUP#${day}`, SK: `HOUR#${hourStart.toISOString().slice(11, 13)}`, day, ...summary },
      }),
    ),
    documentClient.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { PK: `ROLLUP#${day}`, SK: 'DAY', day, ...summary },
      }),
    ),
  ]);
  context.signal.throwIfAborted();
  return { window: { from: hourStart.toISOString(), to: hourEnd.toISOString() }, totals };
};
