import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
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
import { attemptTiming } from './attempt-lease';
import { LastInBatch } from './last-in-batch';
import { BatchVisibility } from './message-visibility';
import { type MessageOutcome, processJobMessage, type WorkerDependencies } from './process-message';

const config = readConfig([
  'tableName',
  'bucketName',
  'queueUrls',
  'workerPriority',
  'workerLeaseSeconds',
  'completedRetentionDays',
  'failedRetentionDays',
  'jobRateLimits',
  'emailRecipientDomains',
  // The ai.* jobs' provider settings (lambdas/jobs/ai/ai-runtime.ts reads them on first use):
  // checked here too, so a malformed one fails the worker's cold start, not a job later.
  'aiEndpoint',
  'aiModel',
  'aiApiKeySecretArn',
]);
const typeRates = new TypeRateLimiter(documentClient, config.tableName);
const timing = attemptTiming(config.workerLeaseSeconds);
const queueUrl = config.queueUrls[config.workerPriority];

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
  leaseTiming: timing.lease,
  isRateLimited: (type) => (config.jobRateLimits[type.name] ?? type.rateLimit?.perSecond) !== undefined,
  admit: async (type, at) => {
    const perSecond = config.jobRateLimits[type.name] ?? type.rateLimit?.perSecond;
    return perSecond === undefined || typeRates.tryAcquire(type.name, perSecond, at);
  },
};

/** A message whose processing failed comes back after this long, not the queue's long visibility timeout. */
const REDELIVERY_DELAY_SECONDS = 10;
/** A poison message can never succeed: let SQS count its receives to the DLQ without waiting. */
const POISON_REDELIVERY_DELAY_SECONDS = 0;

/** Marks a message that was put back until its lease's end: not deleted, nothing logged. */
class HeldMessage extends Error {}

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
  recovered: 'StalledJobsRecovered',
};

const processor = new BatchProcessor(EventType.SQS);

const processRecord = async (
  record: SQSRecord,
  context: Context | undefined,
  batch: LastInBatch,
  visibility: BatchVisibility,
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
    await visibility.release(record.messageId, POISON_REDELIVERY_DELAY_SECONDS);
    throw new Error('Malformed job message');
  }
  let outcome: MessageOutcome;
  try {
    outcome = await processJobMessage(
      parsed.data,
      { ...dependencies, runAlone: () => batch.wait() },
      {
        remainingMs: () => context?.getRemainingTimeInMillis() ?? 900_000,
        putBack: (seconds) => visibility.release(record.messageId, seconds),
        resend: async (delaySeconds) => {
          await sqsClient.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: record.body,
              DelaySeconds: delaySeconds,
            }),
          );
        },
      },
    );
  } catch (error) {
    logger.error('Could not process job message; it will be redelivered', {
      jobId: parsed.data.jobId,
      attempt: parsed.data.attempt,
      error,
    });
    await visibility.release(record.messageId, REDELIVERY_DELAY_SECONDS);
    throw error;
  }
  const metric = METRIC_BY_OUTCOME[outcome];
  if (metric) metrics.addMetric(metric, 'Count', 1);
  logger.debug('Message processed', { jobId: parsed.data.jobId, attempt: parsed.data.attempt, outcome });
  // Put back until its lease's end: reported as a failure so the event source keeps it.
  if (outcome === 'held') throw new HeldMessage();
  return outcome;
};

export const handler = middy(async (event: SQSEvent, context: Context) => {
  const batch = new LastInBatch(event.Records.length);
  const visibility = new BatchVisibility(
    sqsClient,
    queueUrl,
    event.Records,
    { visibilitySeconds: timing.visibilitySeconds, extendEveryMs: timing.lease.renewEveryMs },
    (problem, detail) => logger.warn(problem, detail),
  );
  visibility.start();
  try {
    return await processPartialResponse(
      event,
      (record: SQSRecord) => processRecord(record, context, batch, visibility).finally(() => batch.done()),
      processor,
      // Every failed record had its visibility set (or was put back): a failed invocation
      // would add nothing but a function error.
      { context, throwOnFullBatchFailure: false },
    );
  } finally {
    await visibility.stop();
  }
})
  .use(injectLambdaContext(logger))
  .use(publishMetrics());
