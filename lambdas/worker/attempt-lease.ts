import type { JobProgress } from '../core/job';
import type { JobStore } from '../core/job-store';
import type { ProgressUpdate } from '../jobs/job-type';

export interface LeaseTiming {
  /** How long one renewal keeps the job ours. */
  readonly leaseMs: number;
  /** How long after the last write the lease is renewed while the handler is silent. */
  readonly renewEveryMs: number;
  /** Progress writes are at least this far apart, counted from the claim (coalesced in between). */
  readonly minProgressIntervalMs: number;
}

/**
 * The timing of a running attempt, from one setting (the lease). Why these proportions:
 *
 * - The lease is renewed a third of the way through (after 10 s of silence with the default
 *   30 s), so two renewals in a row may fail before it runs out. A cancel is seen on the next
 *   write: within 0.5 s for a job reporting progress, within 10 s for a silent one. Each
 *   renewal is one write (1 WRU, no index), about six per silent running minute: a shorter
 *   interval buys a faster cancel with writes.
 * - The message is kept invisible for two leases (60 s), extended on the same tick. While
 *   the holder lives it never resurfaces (unless its extensions fail for 50 s in a row), and
 *   when it does after a crash the lease has run out too, so that one delivery records the
 *   lost attempt. A crash thus costs at most about a minute plus a receive, whatever the
 *   type's timeout or the queue's visibility timeout (≥ 6 × the function timeout).
 */
export interface AttemptTiming {
  readonly lease: LeaseTiming;
  /** Visibility each message of an invocation gets at its start and on every renewal tick. */
  readonly visibilitySeconds: number;
}

export const DEFAULT_LEASE_SECONDS = 30;

export const attemptTiming = (leaseSeconds: number = DEFAULT_LEASE_SECONDS): AttemptTiming => ({
  lease: {
    leaseMs: leaseSeconds * 1000,
    renewEveryMs: Math.round((leaseSeconds * 1000) / 3),
    // ≤ 2 progress writes a second per job: what clients see, and what a chatty job costs.
    minProgressIntervalMs: 500,
  },
  visibilitySeconds: leaseSeconds * 2,
});

export const DEFAULT_LEASE_TIMING: LeaseTiming = attemptTiming().lease;

/** Why a running attempt was stopped from the outside. */
export type LeaseLossReason = 'CANCELLED' | 'LOST';

const MAX_TEXT = 200;

const cleanProgress = (update: ProgressUpdate): JobProgress => {
  const progress: { percent?: number; stage?: string; message?: string } = {};
  if (typeof update.percent === 'number' && Number.isFinite(update.percent)) {
    progress.percent = Math.min(100, Math.max(0, Math.round(update.percent * 10) / 10));
  }
  if (typeof update.stage === 'string') progress.stage = update.stage.slice(0, MAX_TEXT);
  if (typeof update.message === 'string') progress.message = update.message.slice(0, MAX_TEXT);
  return progress;
};

/** Bulk-job fields written next to progress. */
const extraFields = (update: ProgressUpdate): Record<string, unknown> => ({
  ...(update.items ? { items: update.items } : {}),
  ...(update.estimatedCompletionAt ? { estimatedCompletionAt: update.estimatedCompletionAt } : {}),
});

/**
 * Holds a running attempt's lease: renews it after `renewEveryMs` without a write, and with
 * every progress write (coalesced to at most one per `minProgressIntervalMs`, counting the
 * claim as the first write, so a job that ends within that interval writes only its claim
 * and its outcome, which carries the progress), and tells the caller when the job was
 * cancelled or taken away (recorded as a lost attempt) so it can abort.
 */
export class AttemptLease {
  private pending: JobProgress | undefined;
  private pendingExtra: Record<string, unknown> = {};
  private lastProgress: JobProgress | undefined;
  private lastWriteAt: number;
  private writes: Promise<void> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly onLoss: (reason: LeaseLossReason) => void,
    private readonly clock: () => Date,
    private readonly timing: LeaseTiming = DEFAULT_LEASE_TIMING,
    /** When the claim (which set the lease and the status) was written. */
    claimedAt: Date = clock(),
  ) {
    this.lastWriteAt = claimedAt.getTime();
  }

  start(): void {
    this.scheduleRenewal();
  }

  /** Records progress; returns once this update (or a newer one) is written. */
  progress(update: ProgressUpdate): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending = cleanProgress(update);
    this.pendingExtra = { ...this.pendingExtra, ...extraFields(update) };
    // Finished items are reported one by one (clients show per-item progress).
    if (update.items) return this.enqueueWrite();
    const wait = this.lastWriteAt + this.timing.minProgressIntervalMs - this.clock().getTime();
    if (wait <= 0) return this.enqueueWrite();
    if (!this.progressTimer) {
      this.progressTimer = setTimeout(() => {
        this.progressTimer = undefined;
        void this.enqueueWrite();
      }, wait);
      this.progressTimer.unref?.();
    }
    return Promise.resolve();
  }

  /**
   * Stops renewing and waits for writes in flight, so the outcome write that follows is
   * never overtaken by a late progress write. Returns the newest progress, written or not.
   */
  async stop(): Promise<JobProgress | undefined> {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.progressTimer);
    await this.writes;
    return this.pending ?? this.lastProgress;
  }

  /** The next renewal, `renewEveryMs` after the last write (a progress write renews too). */
  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    if (this.stopped) return;
    const wait = Math.max(this.lastWriteAt + this.timing.renewEveryMs - this.clock().getTime(), 0);
    this.renewTimer = setTimeout(() => void this.enqueueWrite(), wait);
    this.renewTimer.unref?.();
  }

  private enqueueWrite(): Promise<void> {
    this.writes = this.writes.then(() => this.write());
    return this.writes;
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    const progress = this.pending;
    const extra = this.pendingExtra;
    const now = this.clock();
    if (
      !progress &&
      Object.keys(extra).length === 0 &&
      now.getTime() - this.lastWriteAt < this.timing.renewEveryMs / 2
    ) {
      // A renewal queued just behind a progress write, which renewed the lease already.
      this.scheduleRenewal();
      return;
    }
    this.pending = undefined;
    this.pendingExtra = {};
    this.lastWriteAt = now.getTime();
    try {
      const state = await this.store.renewLease(
        this.jobId,
        this.attempt,
        new Date(now.getTime() + this.timing.leaseMs).toISOString(),
        { ...(progress ? { progress } : {}), set: extra },
      );
      if (progress) this.lastProgress = progress;
      if (!state) this.onLoss('LOST');
      else if (state.cancelRequested) this.onLoss('CANCELLED');
    } catch {
      // A failed renewal is retried by the next one; the lease has two renewals of slack.
      if (progress && !this.pending) this.pending = progress;
      this.pendingExtra = { ...extra, ...this.pendingExtra };
    } finally {
      this.scheduleRenewal();
    }
  }
}
