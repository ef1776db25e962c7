import { abortableSleep } from '../core/abortable-sleep';
import type { TypeRateLimiter } from '../core/type-rate-limiter';
import { JobPostponed } from './job-failure';

/** A request that may not go now waits for the next second's window, at most this many times. */
export const GATE_MAX_WAITS = 3;
/**
 * No request starts in the last part of a second: sent at 0.95 s it could reach the provider
 * in the next second, whose window other workers fill. The provider's one-second windows then
 * see at most `perSecond` requests as long as a request travels in less than this.
 */
export const GATE_TAIL_MS = 300;

export interface PerSecondGateOptions {
  readonly limiter: Pick<TypeRateLimiter, 'tryAcquire'>;
  /** The counter's name, e.g. `ai.complete#requests` (apart from the type's start counter). */
  readonly key: string;
  readonly perSecond: number;
  readonly clock?: () => Date;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Which code a postponement carries (the job waits in the queue, no attempt used). */
  readonly postponeCode: string;
}

/**
 * The per-second limit of a provider, held where it matters: right before each request.
 * The worker admits a rate-limited type's *starts* per second (process-message.ts), but a
 * started job sends its request a moment later (claim, handler setup: milliseconds in AWS,
 * more on a busy machine), so starts admitted in one second can land in the provider's next
 * one together with that second's own. This gate takes one slot of a second counter (one
 * conditional write per request, shared by all workers, TTL-expired) just before the request
 * leaves; a full second means waiting for the next (in the function, under a second), and
 * after GATE_MAX_WAITS the job goes back to the queue with JobPostponed (no attempt used).
 */
export class PerSecondGate {
  private readonly clock: () => Date;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: PerSecondGateOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.sleep = options.sleep ?? abortableSleep;
  }

  async pass(signal: AbortSignal): Promise<void> {
    for (let waits = 0; ; waits += 1) {
      const now = this.clock().getTime();
      const intoSecond = now % 1000;
      if (intoSecond < 1000 - GATE_TAIL_MS) {
        const taken = await this.options.limiter.tryAcquire(
          this.options.key,
          this.options.perSecond,
          new Date(now),
        );
        // The write took long enough to reach the tail: the slot is spent, but sending now could
        // land in the next second. Rare; wait for the next window like a full one.
        if (taken && this.clock().getTime() - (now - intoSecond) < 1000 - GATE_TAIL_MS) return;
      }
      if (waits >= GATE_MAX_WAITS) {
        throw new JobPostponed(
          this.options.postponeCode,
          `At most ${this.options.perSecond} requests per second go to the provider; the job waits its turn`,
          1,
        );
      }
      // A few milliseconds past the boundary, spread, so waiting workers don't all ask at once.
      await this.sleep(1000 - (this.clock().getTime() % 1000) + Math.floor(Math.random() * 50), signal);
    }
  }
}
