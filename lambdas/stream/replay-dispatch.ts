import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentClient, sqsClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { JobQueueClient } from '../core/job-queue-client';
import { logger, tracer } from '../core/observability';
import { StatsStore } from '../core/stats-store';
import { VersionStore } from '../core/version-store';
import { type ReplayDependencies, replayFailedBatch, streamFailureSchema } from './replay-failed-batch';

const config = readConfig(['tableName', 'queueUrls']);
const dependencies: ReplayDependencies = {
  // Endpoint from AWS_ENDPOINT_URL_DYNAMODB_STREAMS locally, as every other client.
  streams: tracer.captureAWSv3Client(new DynamoDBStreamsClient({})),
  queue: new JobQueueClient(sqsClient, config.queueUrls),
  stats: new StatsStore(documentClient, config.tableName),
  versions: new VersionStore(documentClient, config.tableName),
};

const processor = new BatchProcessor(EventType.SQS);

/**
 * One on-failure message of the dispatcher's stream mapping. A message that is not one
 * (or names a range no longer readable) throws like a failing replay: it is retried,
 * then lands in this consumer's DLQ, which alarms.
 */
export const replayRecord = async (record: SQSRecord, deps: ReplayDependencies = dependencies) => {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const failure = streamFailureSchema.parse(body);
  const summary = await replayFailedBatch(failure, deps);
  logger.info('Replayed a failed dispatch batch', {
    shardId: failure.DDBStreamBatchInfo.shardId,
    startSequenceNumber: failure.DDBStreamBatchInfo.startSequenceNumber,
    endSequenceNumber: failure.DDBStreamBatchInfo.endSequenceNumber,
    ...summary,
  });
  return summary;
};

/** Consumer of the dispatcher's on-failure queue; failed messages are retried by SQS. */
export const handler = middy((event: SQSEvent, context: Context) =>
  processPartialResponse(event, (record: SQSRecord) => replayRecord(record), processor, { context }),
).use(injectLambdaContext(logger));
