import {
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmEntry, AlarmState } from '../core/contract';
import type { User } from '../core/user';
import { requireAdmin } from './admin-queues';
import type { ApiDependencies } from './dependencies';

export type { AlarmEntry };

/** DescribeAlarms pages at most 100; the stack has 26 at most, so more pages mean something is off. */
const MAX_PAGES = 10;

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const stateOf = (value: string | undefined): AlarmState =>
  STATES.includes(value as AlarmState) ? (value as AlarmState) : 'INSUFFICIENT_DATA';

const entryOf = (alarm: MetricAlarm): AlarmEntry => {
  const dimensions = Object.fromEntries(
    (alarm.Dimensions ?? []).map((dimension) => [dimension.Name ?? '', dimension.Value ?? '']),
  );
  return {
    name: alarm.AlarmName ?? '',
    description: alarm.AlarmDescription ?? '',
    state: stateOf(alarm.StateValue),
    reason: alarm.StateReason ?? '',
    since: (alarm.StateUpdatedTimestamp ?? new Date(0)).toISOString(),
    ...(alarm.MetricName && alarm.Namespace
      ? {
          metric: {
            namespace: alarm.Namespace,
            name: alarm.MetricName,
            ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
          },
        }
      : {}),
    threshold: alarm.Threshold ?? 0,
    comparison: alarm.ComparisonOperator ?? '',
  };
};

/** ALARM first (what needs a person), then every other alarm by name. */
export const byUrgencyThenName = (a: AlarmEntry, b: AlarmEntry): number =>
  Number(b.state === 'ALARM') - Number(a.state === 'ALARM') || a.name.localeCompare(b.name);

/**
 * GET /v1/admin/alarms: the stack's own alarms with their state, why and since when. Only
 * alarms named with the stack's prefix are asked for, which is all the function may read.
 */
export const listAlarms = async (user: User, deps: ApiDependencies): Promise<{ alarms: AlarmEntry[] }> => {
  requireAdmin(user);
  const alarms: AlarmEntry[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const output: DescribeAlarmsCommandOutput = await deps.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: deps.settings.alarmNamePrefix,
        AlarmTypes: ['MetricAlarm'],
        MaxRecords: 100,
        NextToken: nextToken,
      }),
    );
    alarms.push(...(output.MetricAlarms ?? []).map(entryOf));
    nextToken = output.NextToken;
    if (!nextToken) break;
  }
  return { alarms: alarms.sort(byUrgencyThenName) };
};
