import type { DailyQuota } from '../../core/daily-quota';
import type { JobContext } from '../job-type';

/**
 * Settles an ai.* job's tokens with the submitter's daily budget, once the model has
 * answered. At submit the job reserved an estimate; the attempt that ends the job
 * (`final`) replaces it with what the calls used (one ADD of used − reserved, a refund when
 * negative). An attempt that will be retried adds what it used on top, and the reservation
 * waits for the final one. Admins' jobs were not counted, so nothing is settled for them.
 * A failed write is logged, not thrown: the calls are done and must not be made again.
 */
export const settleTokens = async (
  quota: DailyQuota,
  context: JobContext<unknown>,
  reserved: number,
  used: number,
  final: boolean,
): Promise<void> => {
  if (context.submittedByAdmin) return;
  const delta = final ? used - reserved : used;
  const day = (context.submittedAt ?? new Date().toISOString()).slice(0, 10);
  try {
    await quota.adjust('aiTokens', context.userId, day, delta);
  } catch (error) {
    context.logger.warn('Could not settle the AI token budget', { delta, error: String(error) });
  }
};
