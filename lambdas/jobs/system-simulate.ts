import { abortableSleep } from '../core/abortable-sleep';
import { JobFailure } from './job-failure';
import type { JobContext } from './job-type';

export interface SimulatePayload {
  readonly durationMs: number;
  readonly steps: number;
  readonly failAttempts: number;
  readonly failWith: 'retryable' | 'fatal';
  readonly crash: boolean;
  readonly result?: unknown;
}

/**
 * Diagnostics job: sleeps `durationMs` in `steps` progress steps, fails the first
 * `failAttempts` attempts, or ends the worker's process mid-job when `crash` is set.
 */
export const simulate = async (context: JobContext<SimulatePayload>): Promise<unknown> => {
  const { payload, attempt, signal } = context;
  const stepMs = payload.durationMs / payload.steps;
  for (let step = 1; step <= payload.steps; step += 1) {
    await abortableSleep(stepMs, signal);
    if (payload.crash && step >= Math.ceil(payload.steps / 2)) {
      context.logger.warn('system.simulate: crashing the worker on purpose', { step });
      process.exit(1);
    }
    if (attempt <= payload.failAttempts && step >= Math.ceil(payload.steps / 2)) {
      throw new JobFailure(
        payload.failWith === 'fatal' ? 'SIMULATED_FATAL' : 'SIMULATED_FAILURE',
        `Simulated ${payload.failWith} failure on attempt ${attempt}`,
        { retryable: payload.failWith === 'retryable' },
      );
    }
    await context.progress({
      percent: Math.round((step / payload.steps) * 100),
      stage: 'simulating',
      message: `step ${step} of ${payload.steps}`,
    });
  }
  return payload.result ?? { simulated: true, steps: payload.steps, attempt };
};
