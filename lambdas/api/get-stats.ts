import { type PrioritySummary, type StatsView, statsQuerySchema } from '../core/contract';
import { ValidationError } from '../core/errors';
import type { JobStatus } from '../core/job-status';
import { PRIORITIES, type Priority } from '../core/priority';
import { type QueueDepth, queueDepth } from '../core/queue-depth';
import { type Counters, emptyCounters, type StatsStore, scopes } from '../core/stats-store';
import type { User } from '../core/user';
import { parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

/** Longest window one request may cover: one query per day keeps the cost bounded. */
export const MAX_WINDOW_DAYS = 92;

export type { StatsView };

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string): string[] => {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= Date.parse(`${to}T00:00:00Z`); time += DAY_MS) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
};

const queueDepths = async (deps: ApiDependencies) =>
  Object.fromEntries(
    await Promise.all(
      PRIORITIES.map(
        async (priority) =>
          [priority, await queueDepth(deps.sqs, deps.settings.queueUrls[priority])] as const,
      ),
    ),
  ) as Record<Priority, QueueDepth>;

/**
 * `byStatus` without a gauge written on every transition (that cost ≈ 6 write units a
 * job, and claims are no longer even seen by the dispatcher):
 * - `completed`, `failed`, `cancelled`: the window's jobs that ended so, from the daily
 *   counters (the same figures as `totals`);
 * - `queued`, `processing`, `delayed` for an admin: the live depth of every queue from
 *   SQS (visible, in flight, held back). A job waiting out its retry backoff is a
 *   delayed message, so it counts as `delayed`, and `retrying` stays 0. Approximate, as
 *   SQS's attributes are, and a cancelled job's message counts until a worker drops it.
 * - For a user, whose jobs SQS cannot tell apart from everyone's: the window's jobs
 *   submitted and not yet ended (`submitted` − ended, never below 0) count as `queued`
 *   (that includes their running, delayed and retrying jobs), the other live statuses
 *   stay 0. An estimate: a job submitted before the window and ending inside it lowers it.
 */
const statusesOf = (totals: Counters, depths: Record<Priority, QueueDepth> | undefined) => {
  const live = depths
    ? Object.values(depths).reduce(
        (sum, depth) => ({
          queued: sum.queued + depth.waiting,
          processing: sum.processing + depth.inFlight,
          delayed: sum.delayed + depth.delayed,
        }),
        { queued: 0, processing: 0, delayed: 0 },
      )
    : {
        queued: Math.max(0, totals.submitted - totals.completed - totals.failed - totals.cancelled),
        processing: 0,
        delayed: 0,
      };
  return {
    queued: live.queued,
    delayed: live.delayed,
    processing: live.processing,
    retrying: 0,
    completed: totals.completed,
    failed: totals.failed,
    cancelled: totals.cancelled,
  } satisfies Record<JobStatus, number>;
};

/**
 * GET /v1/stats: counters for the UTC days from..to (inclusive, default today) — the
 * caller's own, or everyone's for an admin — plus, for admins, live queue depth from SQS. Costs one
 * query per day (or one rollup read for a settled day), whatever the number of jobs.
 */
export const getStats = async (
  user: User,
  query: Record<string, string | undefined>,
  deps: ApiDependencies,
  stats: StatsStore,
): Promise<StatsView> => {
  const parsed = parseOrThrow(statsQuerySchema, query, 'The statistics query is invalid.');
  const today = deps.clock().toISOString().slice(0, 10);
  const from = parsed.from ?? parsed.to ?? today;
  const to = parsed.to ?? (parsed.from && parsed.from > today ? parsed.from : today);
  if (from > to)
    throw new ValidationError('The window is invalid.', [{ field: 'from', message: 'must not be after to' }]);
  // Measured before listing the days: a window of 3.65 M days must cost nothing to refuse.
  const spanDays = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (spanDays > MAX_WINDOW_DAYS) {
    throw new ValidationError('The window is too long.', [
      { field: 'to', message: `the window may cover at most ${MAX_WINDOW_DAYS} days` },
    ]);
  }
  const days = daysBetween(from, to);
  const scope = user.isAdmin ? scopes.all : scopes.user(user.id);
  const [rowsByDay, depths] = await Promise.all([
    // A settled past day is one rollup item; today (or a day not rolled up yet) is its live counters.
    Promise.all(
      days.map(
        async (statsDay) =>
          (statsDay < today ? await stats.readFinalDay(statsDay, scope) : undefined) ??
          stats.readDay(statsDay, scope),
      ),
    ),
    // Queue depths count every user's jobs: a user sees only their own counters.
    user.isAdmin ? queueDepths(deps) : undefined,
  ]);

  const totals = emptyCounters();
  const byType = new Map<string, Counters>();
  const byPriorityCounters = new Map<string, Counters>();
  for (const row of rowsByDay.flat()) {
    for (const [target, key] of [
      [byType, row.type],
      [byPriorityCounters, row.priority],
    ] as const) {
      const counters = target.get(key) ?? emptyCounters();
      for (const name of Object.keys(counters) as (keyof Counters)[]) counters[name] += row[name];
      target.set(key, counters);
    }
    for (const name of Object.keys(totals) as (keyof Counters)[]) totals[name] += row[name];
  }

  return {
    window: { from, to },
    totals: {
      submitted: totals.submitted,
      completed: totals.completed,
      failed: totals.failed,
      cancelled: totals.cancelled,
    },
    byStatus: statusesOf(totals, depths),
    byType: Object.fromEntries(
      [...byType].map(([type, counters]) => [
        type,
        {
          submitted: counters.submitted,
          completed: counters.completed,
          failed: counters.failed,
          cancelled: counters.cancelled,
          avgDurationMs:
            counters.durationCount > 0 ? Math.round(counters.totalDurationMs / counters.durationCount) : null,
        },
      ]),
    ),
    byPriority: Object.fromEntries(
      PRIORITIES.map((priority) => {
        const counters = byPriorityCounters.get(priority) ?? emptyCounters();
        return [
          priority,
          {
            ...depths?.[priority],
            submitted: counters.submitted,
            completed: counters.completed,
            failed: counters.failed,
            cancelled: counters.cancelled,
          },
        ];
      }),
    ) as Record<Priority, PrioritySummary>,
  };
};
