import type { JobRecord } from '../core/job';
import { messageForWaitingJob, type OutgoingMessage } from '../core/job-queue-client';
import type { JobStatus } from '../core/job-status';
import type { CounterKey, Counters } from '../core/stats-store';
import { scopes } from '../core/stats-store';
import type { JobChange } from '../core/stream-image';
import { isDispatchedChange, WAITING_STATUSES } from './dispatch-rule';

const isWaiting = (status: JobStatus | undefined) =>
  status !== undefined && (WAITING_STATUSES as readonly JobStatus[]).includes(status);

/**
 * The message a change calls for, if any: a job that starts waiting (new, due again after
 * a failure, re-queued by the retry route) needs one for its next attempt. A job that was
 * already waiting has its message out: `delayed → queued` is the worker holding the
 * delayed job's message taking that step itself while claiming it; so has a new job the
 * API sent itself (`sentAtSubmit`).
 */
export const messageFor = (change: JobChange): OutgoingMessage | undefined => {
  const job = change.newJob;
  if (!job || !isWaiting(job.status)) return undefined;
  if (change.eventName === 'INSERT' && job.sentAtSubmit === true) return undefined;
  if (!isDispatchedChange(change.eventName, change.oldJob?.status, job.status)) return undefined;
  return messageForWaitingJob(job);
};

export interface StatsDelta {
  readonly counters: Map<string, { key: CounterKey; deltas: Partial<Counters> }>;
}

const FINISHED_COUNTER: Partial<Record<JobStatus, keyof Counters>> = {
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

const add = <K extends string>(target: Partial<Record<K, number>>, key: K, value: number) => {
  target[key] = (target[key] ?? 0) + value;
};

const countersFor = (delta: StatsDelta, job: JobRecord, day: string) => {
  const scope = scopes.user(job.userId);
  const key: CounterKey = { day, scope, type: job.type, priority: job.priority };
  const id = `${day}|${scope}|${job.type}|${job.priority}`;
  const entry = delta.counters.get(id) ?? { key, deltas: {} };
  delta.counters.set(id, entry);
  return entry.deltas;
};

/**
 * Folds one change into the batch's statistics: the owner's counters per day × type ×
 * priority — `submitted` on insert, completed/failed/cancelled (with durations) on
 * entering those statuses. Summed per batch, so each counter item is written once per
 * batch; a job submitted alone costs two counter writes in all (its submit, its end).
 *
 * Only the user's scope is written: everyone's (`ALL`) is the sum of the users' rows of
 * the day, folded when it is read (StatsStore.readDay), which also keeps a hot key off
 * every batch. Nothing is counted for claims, progress or removals: `GET /v1/stats`
 * takes live depth from SQS, not from per-status gauges (see lambdas/api/get-stats.ts).
 */
export const addToStats = (delta: StatsDelta, change: JobChange): void => {
  const job = change.newJob;
  if (!job || !isDispatchedChange(change.eventName, change.oldJob?.status, job.status)) return;
  const day = (job.updatedAt ?? job.createdAt).slice(0, 10);
  if (change.eventName === 'INSERT') add(countersFor(delta, job, day), 'submitted', 1);
  const finished = FINISHED_COUNTER[job.status];
  if (!finished) return;
  const deltas = countersFor(delta, job, day);
  add(deltas, finished, 1);
  if (job.status !== 'cancelled' && typeof job.durationMs === 'number') {
    add(deltas, 'totalDurationMs', job.durationMs);
    add(deltas, 'durationCount', 1);
  }
};

export const emptyStatsDelta = (): StatsDelta => ({ counters: new Map() });
