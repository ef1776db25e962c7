import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobStore } from '../core/job-store';
import { logger, metrics } from '../core/observability';
import { findJobType } from '../jobs/registry';
import { sweepStalledJobs } from './sweep-stalled-jobs';

const config = readConfig(['tableName', 'completedRetentionDays', 'failedRetentionDays']);
const store = new JobStore(documentClient, config.tableName, {
  completedDays: config.completedRetentionDays,
  failedDays: config.failedRetentionDays,
});

/** Runs every minute (EventBridge); the event's contents do not matter. */
export const handler = middy(async () => {
  const summary = await sweepStalledJobs({ store, findJobType, clock: () => new Date() });
  metrics.addMetric('StalledJobsRecovered', 'Count', summary.retried + summary.failed + summary.cancelled);
  if (summary.examined > 0) logger.info('Stalled-job sweep', { ...summary });
  return summary;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
