import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { documentClient, sqsClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobQueueClient } from '../core/job-queue-client';
import { JobStore } from '../core/job-store';
import { logger, metrics } from '../core/observability';
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
  metrics.addMetric('StalledJobsRecovered', 'Count', summary.retried + summary.failed + summary.cancelled);
  if (summary.examined > 0) logger.info('Stalled-job sweep', { ...summary });
  const stranded = await sweepStrandedJobs({ store, queue, clock });
  metrics.addMetric('StrandedJobsResent', 'Count', stranded.resent);
  if (stranded.resent > 0) logger.warn('Re-sent the messages of jobs left waiting', { ...stranded });
  return { ...summary, stranded };
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
