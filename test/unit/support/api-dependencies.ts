import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiDependencies } from '../../../lambdas/api/dependencies';
import { ClaimCheck } from '../../../lambdas/core/claim-check';
import { DailyQuota } from '../../../lambdas/core/daily-quota';
import { JobStore } from '../../../lambdas/core/job-store';
import { RateLimiter } from '../../../lambdas/core/rate-limiter';
import { WebhookSecrets } from '../../../lambdas/jobs/webhook-signing';

export const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks';

export const NOW = new Date('2026-11-23T10:15:30.000Z');

/**
 * An SQS client that accepts every SendMessageBatch without a network (the API sends a
 * job's first message at submit) and passes other commands on. A test that mocks SQSClient
 * with aws-sdk-client-mock replaces `send` itself, so its own answers apply.
 */
const sqsAcceptingSends = (): SQSClient => {
  const client = new SQSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  client.middlewareStack.add(
    (next, context) => async (args) =>
      context.commandName === 'SendMessageBatchCommand'
        ? { output: { Successful: [], Failed: [], $metadata: {} }, response: {} }
        : next(args),
    { step: 'initialize', name: 'acceptSendsInTests' },
  );
  return client;
};

/** Real stores over SDK clients that the test mocks with aws-sdk-client-mock. */
export const apiDependencies = (
  overrides: {
    rateLimitPerMinute?: number;
    emailDailyQuota?: number;
    uploadsPerDay?: number;
    aiDailyTokens?: number;
  } = {},
): ApiDependencies => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const clock = () => NOW;
  return {
    store: new JobStore(documentClient, 'jobs-test', { completedDays: 7, failedDays: 30 }, clock),
    limiter: new RateLimiter(documentClient, 'jobs-test', overrides.rateLimitPerMinute ?? 120, clock),
    quotas: new DailyQuota(documentClient, 'jobs-test', clock),
    claimCheck: new ClaimCheck(s3, 'files-test'),
    documentClient,
    s3,
    sqs: sqsAcceptingSends(),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    webhookSecrets: new WebhookSecrets(new SecretsManagerClient({ region: 'eu-west-1' }), WEBHOOK_SECRET_ARN),
    clock,
    settings: {
      tableName: 'jobs-test',
      bucketName: 'files-test',
      queueUrls: { critical: 'c', high: 'h', normal: 'n', low: 'l' },
      deadLetterQueueUrls: { critical: 'c-dlq', high: 'h-dlq', normal: 'n-dlq', low: 'l-dlq' },
      eventSourceMappings: { critical: 'esm-c', high: 'esm-h', normal: 'esm-n', low: 'esm-l' },
      maxUploadBytes: 10 * 1024 * 1024,
      maxDelaySeconds: 7 * 24 * 3600,
      emailDailyQuota: overrides.emailDailyQuota ?? 100,
      aiDailyTokens: overrides.aiDailyTokens ?? 100_000,
      uploadsPerDay: overrides.uploadsPerDay ?? 200,
      alarmNamePrefix: 'JobQueue-Monitoring',
    },
  };
};

export const JOB_ID = '01JD0000000000000000000000';

/** A stored job item (as DynamoDB returns it), owned by `userId`. */
export const storedJob = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  PK: `JOB#${JOB_ID}`,
  SK: 'JOB',
  jobId: JOB_ID,
  userId: 'user-1',
  type: 'system.simulate',
  status: 'queued',
  priority: 'normal',
  priorityValue: 5,
  payload: { durationMs: 10 },
  attempts: 0,
  maxAttempts: 3,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
  events: [{ at: '2026-11-23T10:00:00.000Z', from: null, to: 'queued', attempt: 0 }],
  version: 1,
  ...fields,
});
