import type { JobRecord } from '../core/job';
import { logger } from '../core/observability';
import { DEFAULT_WORKER_CONCURRENCY, type Priority } from '../core/priority';
import { queueDepth } from '../core/queue-depth';
import { type CounterRow, StatsStore, scopes } from '../core/stats-store';
import { findJobType } from '../jobs/registry';
import type { ApiDependencies } from './dependencies';

/**
 * Concurrent worker invocations per priority queue: the stack's defaults. A stack that
 * sets other values gets estimates for the defaults: an approximation, like the rest.
 */
export const WORKER_CONCURRENCY = DEFAULT_WORKER_CONCURRENCY;

/** Per item, when the type has no recent history. */
export const DEFAULT_ITEM_MS = 500;
/** Per job waiting ahead, when the queue's priority has no recent history. */
export const DEFAULT_JOB_MS = 2_000;
/**
 * The stats counters hold job durations, not item durations: a job's average duration is
 * taken as this many items' worth (the per-item average is that divided by it).
 */
export const ASSUMED_ITEMS_PER_JOB = 10;

/** What the estimate is made of. */
export interface EstimateInputs {
  /** Items of the job being submitted. */
  readonly items: number;
  /** Recent average duration per item of its type; undefined without history. */
  readonly averageItemMs?: number;
  /** Recent average duration of a job on its queue (every type); undefined without history. */
  readonly averageJobMs?: number;
  /** Messages waiting on its priority's queue, ahead of it. */
  readonly waiting: number;
  /** Workers running that queue at once. */
  readonly concurrency: number;
}

/**
 * When a bulk job should be done, seen at submit (an explicit approximation):
 * `start + waiting × averageJobMs / concurrency + items × averageItemMs`. The queue ahead
 * is drained by `concurrency` workers in parallel (one message at a time each: a batch's
 * CPU-bound work shares one process), then the job runs its items one after another.
 */
export const estimateCompletion = (start: Date, inputs: EstimateInputs): Date => {
  const itemMs = inputs.averageItemMs ?? DEFAULT_ITEM_MS;
  const jobMs = inputs.averageJobMs ?? DEFAULT_JOB_MS;
  const waitMs = (Math.max(0, inputs.waiting) * jobMs) / Math.max(1, inputs.concurrency);
  const runMs = Math.max(1, inputs.items) * itemMs;
  return new Date(start.getTime() + Math.round(waitMs + runMs));
};

const average = (rows: readonly CounterRow[]): number | undefined => {
  const count = rows.reduce((sum, row) => sum + row.durationCount, 0);
  const total = rows.reduce((sum, row) => sum + row.totalDurationMs, 0);
  return count > 0 ? total / count : undefined;
};

/** Average durations from one day's everyone's counters. */
export const historyOf = (
  rows: readonly CounterRow[],
  type: string,
  priority: string,
): { averageItemMs?: number; averageJobMs?: number } => {
  const typeJobMs = average(rows.filter((row) => row.type === type));
  const queueJobMs = average(rows.filter((row) => row.priority === priority));
  return {
    ...(typeJobMs === undefined ? {} : { averageItemMs: typeJobMs / ASSUMED_ITEMS_PER_JOB }),
    ...(queueJobMs === undefined ? {} : { averageJobMs: queueJobMs }),
  };
};

/** How long read values are reused by one API environment (a warm function). */
export const HISTORY_TTL_MS = 60_000;
export const DEPTH_TTL_MS = 10_000;

interface Cached<T> {
  readonly value: Promise<T>;
  readonly until: number;
}

/**
 * Estimates for bulk submissions, caching what it reads. Cost: at most one eventually
 * consistent Query of today's stats rows (plus, while today has no duration of any job,
 * one GetItem of yesterday's final rollup) per minute, and one SQS GetQueueAttributes per
 * priority per 10 s, per API environment — and only when a bulk job is submitted. A read
 * that fails gives the defaults, never a failed submission.
 */
export class CompletionEstimator {
  private history: Cached<CounterRow[]> | undefined;
  private readonly depths = new Map<Priority, Cached<number>>();

  constructor(private readonly deps: ApiDependencies) {}

  private now() {
    return this.deps.clock().getTime();
  }

  private async readHistory(): Promise<CounterRow[]> {
    const stats = new StatsStore(this.deps.documentClient, this.deps.settings.tableName);
    const now = this.deps.clock();
    const today = now.toISOString().slice(0, 10);
    const rows = await stats.readDay(today, scopes.all);
    if (rows.some((row) => row.durationCount > 0)) return rows;
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
    return (await stats.readFinalDay(yesterday, scopes.all)) ?? rows;
  }

  private cached<T>(entry: Cached<T> | undefined, ttl: number, load: () => Promise<T>, fallback: T) {
    if (entry && entry.until > this.now()) return entry;
    const value = load().catch((error: unknown) => {
      logger.warn('Estimate input unavailable; using defaults', { error });
      return fallback;
    });
    return { value, until: this.now() + ttl };
  }

  /** `jobs` with `estimatedCompletionAt` set on each bulk job (others unchanged). */
  async annotate(jobs: readonly JobRecord[]): Promise<JobRecord[]> {
    const bulk = jobs.filter((job) => findJobType(job.type)?.bulkItems);
    if (bulk.length === 0) return [...jobs];
    this.history = this.cached(this.history, HISTORY_TTL_MS, () => this.readHistory(), []);
    const rows = await this.history.value;
    const waitingOn = async (priority: Priority) => {
      const entry = this.cached(
        this.depths.get(priority),
        DEPTH_TTL_MS,
        async () => (await queueDepth(this.deps.sqs, this.deps.settings.queueUrls[priority])).waiting,
        0,
      );
      this.depths.set(priority, entry);
      return entry.value;
    };
    const now = this.deps.clock();
    return Promise.all(
      jobs.map(async (job) => {
        const items = findJobType(job.type)?.bulkItems?.(job.payload);
        if (items === undefined) return job;
        const start = new Date(Math.max(job.runAt ? Date.parse(job.runAt) : 0, now.getTime()));
        const at = estimateCompletion(start, {
          items,
          ...historyOf(rows, job.type, job.priority),
          // A delayed job is not on the queue yet: what waits now says nothing of then.
          waiting: start > now ? 0 : await waitingOn(job.priority),
          concurrency: WORKER_CONCURRENCY[job.priority],
        });
        return { ...job, estimatedCompletionAt: at.toISOString() };
      }),
    );
  }
}

const estimators = new WeakMap<ApiDependencies, CompletionEstimator>();

/** The estimator of one API environment (its dependencies are built once per cold start). */
export const estimatorFor = (deps: ApiDependencies): CompletionEstimator => {
  let estimator = estimators.get(deps);
  if (!estimator) {
    estimator = new CompletionEstimator(deps);
    estimators.set(deps, estimator);
  }
  return estimator;
};
