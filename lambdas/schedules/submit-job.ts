import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobStore } from '../core/job-store';
import { newJob } from '../core/new-job';
import { logger } from '../core/observability';
import { parseOrThrow } from '../core/validation';

const config = readConfig(['tableName', 'completedRetentionDays', 'failedRetentionDays']);
const store = new JobStore(documentClient, config.tableName, {
  completedDays: config.completedRetentionDays,
  failedDays: config.failedRetentionDays,
});

/** Scheduled jobs belong to this user id; admins see them. */
export const SYSTEM_USER = 'system';

/** EventBridge hands the rule's input, or a scheduled event whose `time` names the run. */
const scheduledInputSchema = z.object({
  type: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).default({}),
  time: z.iso.datetime().optional(),
});

/**
 * Submits the job a scheduled rule names. The idempotency key is the type and the
 * scheduled minute, so a duplicate delivery of the same tick creates no second job.
 */
export const submitScheduledJob = async (input: unknown, deps: { store: JobStore; clock: () => Date }) => {
  const request = parseOrThrow(scheduledInputSchema, input, 'Invalid scheduled job input.');
  const tick = request.time ? new Date(request.time) : deps.clock();
  tick.setUTCSeconds(0, 0);
  const job = newJob(
    { type: request.type, payload: request.payload },
    {
      userId: SYSTEM_USER,
      // The stack itself submits: system types are its to run.
      isAdmin: true,
      now: deps.clock(),
      maxDelaySeconds: 0,
      defaultCorrelationId: `schedule:${request.type}`,
    },
  );
  const key = `schedule:${request.type}:${tick.toISOString()}`;
  const result = await deps.store.create(job, { userId: SYSTEM_USER, key, requestHash: key });
  if (result.outcome === 'conflict') throw new Error('Scheduled job key reused with another body');
  logger.debug('Scheduled job submitted', {
    jobId: result.job.jobId,
    type: request.type,
    outcome: result.outcome,
  });
  return { jobId: result.job.jobId, outcome: result.outcome };
};

export const handler = middy((event: unknown) =>
  submitScheduledJob(event, { store, clock: () => new Date() }),
).use(injectLambdaContext(logger));
