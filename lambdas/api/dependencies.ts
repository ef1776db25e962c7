import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimCheck } from '../core/claim-check';
import type { DailyQuota } from '../core/daily-quota';
import type { JobStore } from '../core/job-store';
import type { Priority } from '../core/priority';
import type { RateLimiter } from '../core/rate-limiter';
import type { WebhookSecrets } from '../jobs/webhook-signing';

/** What the route functions need; built once at cold start by handler.ts, faked in tests. */
export interface ApiDependencies {
  readonly store: JobStore;
  readonly limiter: RateLimiter;
  readonly quotas: DailyQuota;
  /** Offloads large payloads and results to S3 and reads them back. */
  readonly claimCheck: ClaimCheck;
  readonly documentClient: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  /** Reads the stack's alarms (GET /v1/admin/alarms). */
  readonly cloudwatch: CloudWatchClient;
  /** Derives each user's data.sync signing secret (GET /v1/webhooks/secret). */
  readonly webhookSecrets: WebhookSecrets;
  readonly clock: () => Date;
  readonly settings: {
    readonly tableName: string;
    readonly bucketName: string;
    readonly queueUrls: Readonly<Record<Priority, string>>;
    readonly deadLetterQueueUrls: Readonly<Record<Priority, string>>;
    /** UUIDs of the workers' event source mappings, by priority (pause/resume). */
    readonly eventSourceMappings: Readonly<Record<Priority, string>>;
    readonly maxUploadBytes: number;
    readonly maxDelaySeconds: number;
    /** Email recipients a user may send to per UTC day. */
    readonly emailDailyQuota: number;
    /** Uploads a user may start per UTC day. */
    readonly uploadsPerDay: number;
    /** AI tokens a user may spend per UTC day (ai.* jobs reserve at submit). */
    readonly aiDailyTokens: number;
    /** Every alarm of the stack has a name starting with this (see ENV.alarmNamePrefix). */
    readonly alarmNamePrefix: string;
  };
}
