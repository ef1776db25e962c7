import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ClaimCheck } from '../../../lambdas/core/claim-check';
import { JobQueueClient } from '../../../lambdas/core/job-queue-client';
import { JobStore } from '../../../lambdas/core/job-store';
import type { JobTypeDefinition } from '../../../lambdas/jobs/job-type';
import type { WorkerDependencies } from '../../../lambdas/worker/process-message';

export const NORMAL_QUEUE_URL = 'https://sqs/normal';
export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The worker's real store, queue client and result store over SDK clients the test mocks. */
export const workerDependencies = (
  findJobType: (name: string) => JobTypeDefinition | undefined,
  overrides: Partial<WorkerDependencies> = {},
): WorkerDependencies => ({
  store: new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'jobs-test'),
  queue: new JobQueueClient(new SQSClient({ region: 'eu-west-1' }), {
    critical: 'c',
    high: 'h',
    normal: NORMAL_QUEUE_URL,
    low: 'l',
  }),
  claimCheck: new ClaimCheck(new S3Client({ region: 'eu-west-1' }), 'files-test'),
  findJobType,
  clock: () => new Date(),
  logger: () => silentLogger,
  ...overrides,
});
