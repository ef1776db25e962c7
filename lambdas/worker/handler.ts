import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentClient, sqsClient } from '../core/aws-clients';
import { ClaimCheck } from '../core/claim-check';
import { readConfig } from '../core/config';
import { jobMessageSchema } from '../core/job-message';
import { JobQueueClient } from '../core/job-queue-client';
import { JobStore } from '../core/job-store';
import { metrics, publishMetrics } from '../core/metrics';
import { jobLogger, logger } from '../core/observability';
import { s3Client } from '../core/s3-client';
import { TypeRateLimiter } from '../core/type-rate-limiter';
import { findJobType } from '../jobs/registry';
import { LastInBatch } from './last-in-batch';
import { type MessageOutcome, processJobMessage, type WorkerDependencies } from './process-message';

const config = readConfig([
  'tableName',
  'bucketName',
  'queueUrls',
  'workerPriority',
  'completedRetentionDays',
  'failedRetentionDays',
  'jobRateLimits',
  'emailRecipientDomains',
]);
const typeRates = new TypeRateLimiter(documentClient, config.tableName);

const dependencies: WorkerDependencies = {
  store: new JobStore(documentClient, config.tableName, {
    completedDays: config.completedRetentionDays,
    failedDays: config.failedRetentionDays,
  }),
  queue: new JobQueueClient(sqsClient, config.queueUrls),
  claimCheck: new ClaimCheck(s3Client, config.bucketName),
  findJobType,
  clock: () => new Date(),
  logger: jobLogger,
  admit: async (type, at) => {
    const perSecond = config.jobRateLimits[type.name] ?? type.rateLimit?.perSecond;
    return perSecond === undefined || typeRates.tryAcquire(type.name, perSecond, at);
  },
};

/** A message whose processing failed comes back after this long, not the queue's long visibility timeout. */
const REDELIVERY_DELAY_SECONDS = 10;
/** A poison message can never succeed: let SQS count its receives to the DLQ without waiting. */
const POISON_REDELIVERY_DELAY_SECONDS = 0;

const redeliverAfter = (record: SQSRecord, seconds: number) =>
  sqsClient
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: config.queueUrls[config.workerPriority],
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    )
    .catch(() => undefined);

/**
 * Outcomes counted as metrics, each for a question the job records answer only slowly:
 * failed — are a type's jobs failing for good (a handler bug, a dead provider)?;
 * retrying — are attempts failing (a provider's outage)?; throttled — is a type's rate
 * limit holding jobs back?; lost — are attempts being taken over (stalled workers, so
 * a risk of side effects run twice)? Completions and cancellations are the daily stats
 * counters' (`GET /v1/stats`): a metric for them would be an EMF line per happy batch.
 */
const METRIC_BY_OUTCOME: Partial<Record<MessageOutcome, string>> = {
  failed: 'JobsFailed',
  retrying: 'JobsRetried',
  throttled: 'JobStartsThrottled',
  lost: 'AttemptsLost',
};

const processor = new BatchProcessor(EventType.SQS);

const processRecord = async (
  record: SQSRecord,
  context: Context | undefined,
  batch: LastInBatch,
): Promise<MessageOutcome> => {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const parsed = jobMessageSchema.safeParse(body);
  if (!parsed.success) {
    // Poison message: failing it lets SQS move it to the DLQ for inspection.
    logger.error('Malformed job message', { messageId: record.messageId });
    await redeliverAfter(record, POISON_REDELIVERY_DELAY_SECONDS);
    throw new Error('Malformed job message');
  }
  try {
    const outcome = await processJobMessage(
      parsed.data,
      { ...dependencies, runAlone: () => batch.wait() },
      {
        remainingMs: () => context?.getRemainingTimeInMillis() ?? 900_000,
      },
    );
    const metric = METRIC_BY_OUTCOME[outcome];
    if (metric) metrics.addMetric(metric, 'Count', 1);
    logger.debug('Message processed', { jobId: parsed.data.jobId, attempt: parsed.data.attempt, outcome });
    return outcome;
  } catch (error) {
    logger.error('Could not process job message; it will be redelivered', {
      jobId: parsed.data.jobId,
      attempt: parsed.data.attempt,
      error,
    });
    await redeliverAfter(record, REDELIVERY_DELAY_SECONDS);
    throw error;
  }
};

export const handler = middy(async (event: SQSEvent, context: Context) => {
  const batch = new LastInBatch(event.Records.length);
  return processPartialResponse(
    event,
    (record: SQSRecord) => processRecord(record, context, batch).finally(() => batch.done()),
    processor,
    { context },
  );
})
  .use(injectLambdaContext(logger))
  .use(publishMetrics());
