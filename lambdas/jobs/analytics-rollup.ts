import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { type CounterRow, StatsStore } from '../core/stats-store';
import type { JobContext } from './job-type';

export interface RollupPayload {
  readonly at?: string;
}

const config = readConfig(['tableName']);
const stats = new StatsStore(documentClient, config.tableName);

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Stream records of a day may still arrive this long after it ends. */
const SETTLE_MS = 5 * MINUTE_MS;
/** Each run also covers the end of the previous one (runs are 5 minutes apart). */
const LOOKBACK_MS = 10 * MINUTE_MS;

const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * analytics.rollup (every 5 minutes): rolls the live counters of the day(s) the last
 * window touched into, per scope (everyone, and each user), one daily item
 * (`ROLLUP#<day>` / `DAY#<scope>`) and one hourly item (`HOUR#<hh>#<scope>`, the counts
 * as of that hour). Items are written whole, so running twice for the same window leaves
 * the same result. A day becomes `final` once it has settled; `GET /v1/stats` then reads
 * that one item instead of the day's counters.
 */
export const rollup = async (context: JobContext<RollupPayload>) => {
  const at = context.payload.at ? Date.parse(context.payload.at) : Date.now();
  const days = [...new Set([dayOf(at - LOOKBACK_MS), dayOf(at)])];
  let written = 0;
  const scopes = new Set<string>();
  for (const [position, day] of days.entries()) {
    context.signal.throwIfAborted();
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    const dayEnd = dayStart + DAY_MS;
    const final = at >= dayEnd + SETTLE_MS;
    const hourTime = Math.min(at, dayEnd - 1);
    const hour = new Date(hourTime).toISOString().slice(11, 13);
    const hourFinal = at >= Math.floor(hourTime / 3_600_000) * 3_600_000 + 3_600_000 + SETTLE_MS;
    const byScope = new Map<string, CounterRow[]>();
    for (const row of await stats.readDayAllScopes(day)) {
      byScope.set(row.scope, [...(byScope.get(row.scope) ?? []), row]);
    }
    await Promise.all(
      [...byScope].flatMap(([scope, rows]) => {
        scopes.add(scope);
        written += 2;
        return [
          stats.putRollup(day, 'DAY', scope, rows, final),
          stats.putRollup(day, `HOUR#${hour}`, scope, rows, hourFinal),
        ];
      }),
    );
    await context.progress({
      percent: Math.round((100 * (position + 1)) / days.length),
      stage: 'rolling up',
      message: day,
    });
  }
  return { at: new Date(at).toISOString(), days, scopes: scopes.size, itemsWritten: written };
};
