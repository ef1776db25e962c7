import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient, sqsClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobQueueClient } from '../core/job-queue-client';
import { logger } from '../core/observability';
import { StatsStore } from '../core/stats-store';
import { VersionStore } from '../core/version-store';
import { dispatchBatch } from './dispatch-batch';

const config = readConfig(['tableName', 'queueUrls']);
const dependencies = {
  queue: new JobQueueClient(sqsClient, config.queueUrls),
  stats: new StatsStore(documentClient, config.tableName),
  versions: new VersionStore(documentClient, config.tableName),
};

/**
 * Table stream consumer (job items, INSERT and MODIFY). Messages are sent for the whole
 * batch at once, so this uses its own partial-batch logic rather than a per-record processor.
 */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const response = await dispatchBatch(event.Records, dependencies);
  if (response.batchItemFailures.length > 0) {
    logger.warn('Some job messages were not sent; the stream will retry them', {
      failures: response.batchItemFailures,
    });
  }
  return response;
}).use(injectLambdaContext(logger));
