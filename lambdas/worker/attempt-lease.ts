import type { JobProgress } from '../core/job';
import type { JobStore } from '../core/job-store';
import type { ProgressUpdate } from '../jobs/job-type';

export interface LeaseTiming {
  /** How long one renewal keeps the job ours. */
  readonly leaseMs: number;
  /** How often the lease is renewed while the handler is silent. */
  readonly renewEveryMs: number;
  /** Progress writes are at least this far apart (coalesced in between). */
  readonly minProgressIntervalMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  leaseMs: 30_000,
  renewEveryMs: 10_000,
  minProgressIntervalMs: 500,
};

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

/**
 * Holds a running attempt's lease: renews it on a timer and with every progress write
 * (coalesced to at most one write per `minProgressIntervalMs`), and tells the caller
 * when the job was cancelled or taken away (swept after a stall) so it can abort.
 */
/** Bulk-job fields written next to progress. */
const extraFields = (update: ProgressUpdate): Record<string, unknown> => ({
  ...(update.items ? { items: update.items } : {}),
  ...(update.estimatedCompletionAt ? { estimatedCompletionAt: update.estimatedCompletionAt } : {}),
});

export class AttemptLease {
  private pending: JobProgress | undefined;
  private pendingExtra: Record<string, unknown> = {};
  private lastProgress: JobProgress | undefined;
  private lastWriteAt = 0;
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
  ) {}

  start(): void {
    this.renewTimer = setInterval(() => this.enqueueWrite(), this.timing.renewEveryMs);
    this.renewTimer.unref?.();
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
    clearInterval(this.renewTimer);
    clearTimeout(this.progressTimer);
    await this.writes;
    return this.pending ?? this.lastProgress;
  }

  private enqueueWrite(): Promise<void> {
    this.writes = this.writes.then(() => this.write());
    return this.writes;
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    const progress = this.pending;
    const extra = this.pendingExtra;
    this.pending = undefined;
    this.pendingExtra = {};
    const now = this.clock();
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
      // A failed renewal is retried by the next tick; the lease has 3 ticks of slack.
      if (progress && !this.pending) this.pending = progress;
      this.pendingExtra = { ...extra, ...this.pendingExtra };
    }
  }
}
