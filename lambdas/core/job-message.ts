import * as z from 'zod';

/** Longest delay SQS can hold a message for; longer delays are chained. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * What a queue message carries: only the job's id and the attempt it is for (claim
 * check: payloads stay in the table). `runAt` marks a delayed or backed-off message
 * so a worker can tell a legitimate early arrival (re-send with the remaining delay)
 * from a stale duplicate (drop). `type`, the job's type (which never changes), lets a
 * worker claim a plain queued job without reading it first; a message without it (older
 * messages) takes the path with the read. `sentAt` marks a message the API sent at
 * submit, before it saved the job (see `sendAtSubmit` in lambdas/api/submit-jobs.ts): a
 * worker that does not find the job yet waits for the save instead of dropping it.
 */
export const jobMessageSchema = z.object({
  jobId: z.string().min(1).max(64),
  attempt: z.number().int().min(1),
  runAt: z.iso.datetime().optional(),
  type: z.string().min(1).max(100).optional(),
  sentAt: z.iso.datetime().optional(),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Seconds to hold a message for a job due at `runAt`, within SQS's limit. */
export const delayFor = (runAt: string | undefined, now: Date): number => {
  if (!runAt) return 0;
  const seconds = Math.ceil((Date.parse(runAt) - now.getTime()) / 1000);
  return Math.min(Math.max(seconds, 0), MAX_SQS_DELAY_SECONDS);
};
