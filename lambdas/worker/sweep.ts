import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { documentClient, sqsClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobQueueClient } from '../core/job-queue-client';
import { JobStore } from '../core/job-store';
import { metrics, publishMetrics } from '../core/metrics';
import { logger } from '../core/observability';
import { findJobType } from '../jobs/registry';
import { sweepStalledJobs } from './sweep-stalled-jobs';
import { sweepStrandedJobs } from './sweep-stranded-jobs';

const config = readConfig(['tableName', 'queueUrls', 'completedRetentionDays', 'failedRetentionDays']);
const store = new JobStore(documentClient, config.tableName, {
  completedDays: config.completedRetentionDays,
  failedDays: config.failedRetentionDays,
});
const queue = new JobQueueClient(sqsClient, config.queueUrls);

/**
 * Runs every minute (EventBridge); the event's contents do not matter. Recovers jobs
 * whose worker vanished (stalled), then jobs left waiting without a message (stranded).
 */
export const handler = middy(async () => {
  const clock = () => new Date();
  const summary = await sweepStalledJobs({ store, findJobType, clock });
  // Counted only when it happens (a run every minute would otherwise write an EMF line
  // for zeros): a recovery means a worker died mid-job, a re-send that a message was lost.
  const recovered = summary.retried + summary.failed + summary.cancelled;
  if (recovered > 0) metrics.addMetric('StalledJobsRecovered', 'Count', recovered);
  if (summary.examined > 0) logger.info('Stalled-job sweep', { ...summary });
  const stranded = await sweepStrandedJobs({ store, queue, clock });
  if (stranded.resent > 0) metrics.addMetric('StrandedJobsResent', 'Count', stranded.resent);
  if (stranded.resent > 0) logger.warn('Re-sent the messages of jobs left waiting', { ...stranded });
  return { ...summary, stranded };
})
  .use(injectLambdaContext(logger))
  .use(publishMetrics());
