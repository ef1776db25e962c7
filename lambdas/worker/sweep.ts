import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { documentClient, sqsClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobQueueClient } from '../core/job-queue-client';
import { JobStore } from '../core/job-store';
import { metrics, publishMetrics } from '../core/metrics';
import { logger } from '../core/observability';
import { sweepStrandedJobs } from './sweep-stranded-jobs';

const config = readConfig(['tableName', 'queueUrls', 'completedRetentionDays', 'failedRetentionDays']);
const store = new JobStore(documentClient, config.tableName, {
  completedDays: config.completedRetentionDays,
  failedDays: config.failedRetentionDays,
});
const queue = new JobQueueClient(sqsClient, config.queueUrls);

/**
 * Runs every minute (EventBridge); the event's contents do not matter. Re-sends the
 * messages of jobs left waiting without one (stranded). Stalled jobs (a lost worker) need
 * no sweep: their own message resurfaces and its redelivery records the lost attempt
 * (lambdas/worker/lifecycle.ts, message-visibility.ts).
 */
export const handler = middy(async () => {
  const stranded = await sweepStrandedJobs({ store, queue, clock: () => new Date() });
  // Counted only when it happens (a run every minute would otherwise write an EMF line for zeros).
  if (stranded.resent > 0) metrics.addMetric('StrandedJobsResent', 'Count', stranded.resent);
  if (stranded.resent > 0) logger.warn('Re-sent the messages of jobs left waiting', { ...stranded });
  return { stranded };
})
  .use(injectLambdaContext(logger))
  .use(publishMetrics());
