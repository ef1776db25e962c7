import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Priority } from '../lambdas/core/priority';
import { AiProvider } from './constructs/ai-provider';
import { Auth, type ExternalIssuer } from './constructs/auth';
import { DashboardSite } from './constructs/dashboard-site';
import { FileStore } from './constructs/file-store';
import { JobApi } from './constructs/job-api';
import { JobTable } from './constructs/job-table';
import { type AlarmSet, Monitoring } from './constructs/monitoring';
import { PriorityQueues } from './constructs/priority-queues';
import { ProgressSocket } from './constructs/progress-socket';
import { Schedules } from './constructs/schedules';
import { StreamConsumers } from './constructs/stream-consumers';
import { WebhookSecret } from './constructs/webhook-secret';
import { Workers, workerTimeout } from './constructs/workers';

export interface JobQueueStackProps extends StackProps {
  /** Most concurrent workers per priority. @default { critical: 50, high: 20, normal: 10, low: 5 } */
  readonly concurrency?: Partial<Record<Priority, number>>;
  /** @default 120 */
  readonly rateLimitPerMinute?: number;
  /** @default 10 MiB */
  readonly maxUploadBytes?: number;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** @default none */
  readonly corsAllowOrigins?: string[];
  /** @default a Cognito user pool created by the stack */
  readonly externalIssuer?: ExternalIssuer;
  /** Days completed jobs stay readable. @default 7 */
  readonly completedRetentionDays?: number;
  /** Days failed and cancelled jobs stay readable. @default 30 */
  readonly failedRetentionDays?: number;
  /** Sender of email.send (an SES verified identity). @default 'no-reply@example.com' */
  readonly emailFrom?: string;
  /** Jobs started per second per type, overriding the registry. @default the registry's */
  readonly jobRateLimits?: Readonly<Record<string, number>>;
  /** Domains users may email; admins may email anyone. @default none */
  readonly emailRecipientDomains?: readonly string[];
  /** Email recipients a user may send to per UTC day. @default 100 */
  readonly emailDailyQuota?: number;
  /** Uploads a user may start per UTC day. @default 200 */
  readonly uploadsPerDay?: number;
  /** data.sync may reach loopback addresses (a local cloud's receivers), never other non-public ones. @default false */
  readonly webhookAllowLoopback?: boolean;
  /** X-Ray tracing of every function (see `FunctionTracingProps`). @default lambda.Tracing.DISABLED */
  readonly tracing?: lambda.Tracing;
  /** Which CloudWatch alarms to create (see `AlarmSet`). @default 'essential' */
  readonly alarms?: AlarmSet;
  /** A CloudWatch dashboard ($3 a month). @default false */
  readonly dashboard?: boolean;
  /** The web dashboard as a static site (S3 + CloudFront; costs nothing idle). @default true */
  readonly dashboardSite?: boolean;
  /** An address that gets every alarm by e-mail (see `MonitoringProps.alarmEmail`). @default none */
  readonly alarmEmail?: string;
  /** A worker's lease on a running job, in seconds (see `WorkersProps.leaseSeconds`). @default 30 */
  readonly workerLeaseSeconds?: number;
  /** https base URL of the OpenAI-compatible API the ai.* jobs call. @default none (AI_NOT_CONFIGURED) */
  readonly aiEndpoint?: string;
  /** Model the ai.* jobs ask for. @default 'gpt-4o-mini' */
  readonly aiModel?: string;
  /** AI tokens a user may spend per UTC day. @default 100000 */
  readonly aiDailyTokens?: number;
}

/** jobqueue: composes one construct per concern and publishes the endpoints. */
export class JobQueueStack extends Stack {
  constructor(scope: Construct, id: string, props: JobQueueStackProps = {}) {
    super(scope, id, props);
    const retention = {
      completedRetentionDays: props.completedRetentionDays ?? 7,
      failedRetentionDays: props.failedRetentionDays ?? 30,
    };
    const tracing = props.tracing;

    const table = new JobTable(this, 'Jobs', { deletionProtection: props.deletionProtection });
    const files = new FileStore(this, 'Files', { corsAllowedOrigins: props.corsAllowOrigins });
    const queues = new PriorityQueues(this, 'Queues', { consumerTimeout: workerTimeout() });
    const auth = new Auth(this, 'Auth', { externalIssuer: props.externalIssuer });
    const webhookSecret = new WebhookSecret(this, 'Webhooks', { allowLoopback: props.webhookAllowLoopback });
    const ai = new AiProvider(this, 'Ai', { endpoint: props.aiEndpoint, model: props.aiModel });
    const socket = new ProgressSocket(this, 'Progress', { table, auth, tracing });
    const workers = new Workers(this, 'Workers', {
      table,
      queues,
      files,
      webhookSecret,
      ai,
      socket,
      concurrency: props.concurrency,
      emailFrom: props.emailFrom,
      maxUploadBytes: props.maxUploadBytes,
      jobRateLimits: props.jobRateLimits,
      emailRecipientDomains: props.emailRecipientDomains,
      leaseSeconds: props.workerLeaseSeconds,
      tracing,
      ...retention,
    });
    const api = new JobApi(this, 'Api', {
      table,
      queues,
      workers,
      files,
      auth,
      webhookSecret,
      rateLimitPerMinute: props.rateLimitPerMinute,
      maxUploadBytes: props.maxUploadBytes,
      corsAllowOrigins: props.corsAllowOrigins,
      emailRecipientDomains: props.emailRecipientDomains,
      emailDailyQuota: props.emailDailyQuota,
      uploadsPerDay: props.uploadsPerDay,
      aiDailyTokens: props.aiDailyTokens,
      tracing,
      ...retention,
    });
    const streams = new StreamConsumers(this, 'Streams', { table, queues, socket, tracing });
    new Schedules(this, 'Schedules', { table, queues, tracing, ...retention });
    const monitoring = new Monitoring(this, 'Monitoring', {
      queues,
      workers,
      streams,
      api,
      alarms: props.alarms,
      dashboard: props.dashboard,
      alarmEmail: props.alarmEmail,
    });
    // GET /v1/admin/alarms: the dashboard's alarm view.
    monitoring.grantReadAlarms(api.handler);
    const site =
      (props.dashboardSite ?? true)
        ? new DashboardSite(this, 'DashboardSite', {
            httpApiUrl: api.stageUrl,
            webSocketUrl: socket.url,
            auth,
          })
        : undefined;

    new CfnOutput(this, 'HttpApiUrl', { value: api.stageUrl });
    new CfnOutput(this, 'WebSocketUrl', { value: socket.url });
    new CfnOutput(this, 'UserPoolId', { value: auth.userPool?.userPoolId ?? 'external' });
    new CfnOutput(this, 'UserPoolClientId', { value: auth.userPoolClient?.userPoolClientId ?? 'external' });
    new CfnOutput(this, 'TableName', { value: table.table.tableName });
    new CfnOutput(this, 'BucketName', { value: files.bucket.bucketName });
    if (ai.secret) {
      new CfnOutput(this, 'AiApiKeySecretArn', {
        value: ai.secret.secretArn,
        description:
          'Put the AI provider key here (aws secretsmanager put-secret-value); only the workers read it',
      });
    }
    if (site) new CfnOutput(this, 'DashboardUrl', { value: site.url, description: 'The web dashboard' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.alarmTopic.topicArn,
      description: 'Every alarm publishes here: subscribe e-mail, chat or paging endpoints',
    });
    if (monitoring.dashboard)
      new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
  }
}
