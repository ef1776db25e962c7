import type { JobRecord } from '../core/job';
import { messageForWaitingJob, type OutgoingMessage } from '../core/job-queue-client';
import type { JobStatus } from '../core/job-status';
import type { CounterKey, Counters } from '../core/stats-store';
import { scopes } from '../core/stats-store';
import type { JobChange } from '../core/stream-image';

/** Statuses that wait for a queue message. */
const WAITING: readonly JobStatus[] = ['queued', 'delayed', 'retrying'];

/**
 * The message a change calls for, if any: a job that starts waiting (new, due again after
 * a failure, re-queued by the retry route, or delayed) needs one for its next attempt.
 * `delayed → queued` needs none: the worker holding the delayed job's message does that
 * step itself while claiming it.
 */
export const messageFor = (change: JobChange): OutgoingMessage | undefined => {
  const job = change.newJob;
  if (!job || !WAITING.includes(job.status)) return undefined;
  const previous = change.oldJob?.status;
  if (change.eventName !== 'INSERT' && previous === job.status) return undefined;
  if (previous === 'delayed' && job.status === 'queued') return undefined;
  return messageForWaitingJob(job);
};

export interface StatsDelta {
  readonly counters: Map<string, { key: CounterKey; deltas: Partial<Counters> }>;
  readonly gauges: Map<string, Partial<Record<JobStatus, number>>>;
}

const FINISHED_COUNTER: Partial<Record<JobStatus, keyof Counters>> = {
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

const add = <K extends string>(target: Partial<Record<K, number>>, key: K, value: number) => {
  target[key] = (target[key] ?? 0) + value;
};

const countersFor = (delta: StatsDelta, job: JobRecord, day: string, scope: string) => {
  const key: CounterKey = { day, scope, type: job.type, priority: job.priority };
  const id = `${day}|${scope}|${job.type}|${job.priority}`;
  const entry = delta.counters.get(id) ?? { key, deltas: {} };
  delta.counters.set(id, entry);
  return entry.deltas;
};

/**
 * Folds one change into the batch's statistics: counters per day × scope × type ×
 * priority (submitted on insert, completed/failed/cancelled on entering those statuses,
 * with durations), and status gauges (+1 new status, −1 old). Summed per batch so each
 * counter item is written once per batch.
 */
export const addToStats = (delta: StatsDelta, change: JobChange): void => {
  if (change.eventName === 'REMOVE') {
    // Deleted by its TTL: the job leaves the gauge of the status it ended in.
    const gone = change.oldJob;
    if (!gone) return;
    for (const scope of [scopes.all, scopes.user(gone.userId)]) {
      const gauge = delta.gauges.get(scope) ?? {};
      delta.gauges.set(scope, gauge);
      add(gauge, gone.status, -1);
    }
    return;
  }
  const job = change.newJob;
  if (!job) return;
  const previous = change.eventName === 'INSERT' ? undefined : change.oldJob?.status;
  if (previous === job.status) return;
  const eventAt = job.updatedAt ?? job.createdAt;
  const day = eventAt.slice(0, 10);
  for (const scope of [scopes.all, scopes.user(job.userId)]) {
    if (change.eventName === 'INSERT') add(countersFor(delta, job, day, scope), 'submitted', 1);
    const finished = FINISHED_COUNTER[job.status];
    if (finished) {
      const deltas = countersFor(delta, job, day, scope);
      add(deltas, finished, 1);
      if (job.status !== 'cancelled' && typeof job.durationMs === 'number') {
        add(deltas, 'totalDurationMs', job.durationMs);
        add(deltas, 'durationCount', 1);
      }
    }
    const gauge = delta.gauges.get(scope) ?? {};
    delta.gauges.set(scope, gauge);
    add(gauge, job.status, 1);
    if (previous) add(gauge, previous, -1);
  }
};

export const emptyStatsDelta = (): StatsDelta => ({ counters: new Map(), gauges: new Map() });
