import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ROUTES } from '../../lambdas/api/route-table';
import { ENV } from '../../lambdas/core/environment';
import { requireDomains, requireIntegerInRange } from '../validation';
import type { Auth } from './auth';
import type { FileStore } from './file-store';
import type { JobTable } from './job-table';
import { type FunctionTracingProps, JobQueueFunction } from './node-function';
import type { PriorityQueues } from './priority-queues';
import type { WebhookSecret } from './webhook-secret';
import type { Workers } from './workers';

export interface JobApiProps extends FunctionTracingProps {
  readonly table: JobTable;
  readonly queues: PriorityQueues;
  /** Paused and resumed by the admin queue routes. */
  readonly workers: Workers;
  readonly files: FileStore;
  readonly auth: Auth;
  /** Hands users their data.sync signing secret; its address policy checks webhook URLs at submission. */
  readonly webhookSecret: WebhookSecret;
  /** Jobs a user may submit per minute. @default 120 */
  readonly rateLimitPerMinute?: number;
  /** Largest upload `POST /v1/uploads` grants. @default 10 MiB */
  readonly maxUploadBytes?: number;
  /** Domains users may email; admins may email anyone. @default none: users can send no email */
  readonly emailRecipientDomains?: readonly string[];
  /** Email recipients a user may send to per UTC day. @default 100 */
  readonly emailDailyQuota?: number;
  /** AI tokens a user may spend per UTC day (ai.* jobs reserve an estimate at submit). @default 100000 */
  readonly aiDailyTokens?: number;
  /** Uploads a user may start per UTC day. @default 200 */
  readonly uploadsPerDay?: number;
  /** Longest delay a job may ask for. @default 7 days */
  readonly maxDelay?: Duration;
  readonly completedRetentionDays: number;
  readonly failedRetentionDays: number;
  /** Browser origins allowed to call the API. @default none (no CORS) */
  readonly corsAllowOrigins?: string[];
  /** Steady requests per second across the stage. @default 100 */
  readonly throttlingRateLimit?: number;
  /** Burst of requests across the stage. @default 200 */
  readonly throttlingBurstLimit?: number;
}

/**
 * The HTTPS API: an HTTP API whose routes (from lambdas/api/route-table.ts) and `$default`
 * reach one API function behind a JWT authorizer; only the health check is open.
 */
export class JobApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly handler: JobQueueFunction;
  /** Base URL of the API (the default stage). */
  readonly stageUrl: string;

  constructor(scope: Construct, id: string, props: JobApiProps) {
    super(scope, id);
    const rateLimit = requireIntegerInRange(
      this,
      'rateLimitPerMinute',
      props.rateLimitPerMinute ?? 120,
      1,
      100_000,
    );
    const maxUploadBytes = requireIntegerInRange(
      this,
      'maxUploadBytes',
      props.maxUploadBytes ?? 10 * 1024 * 1024,
      1,
      5 * 1024 ** 3,
    );
    const maxDelaySeconds = requireIntegerInRange(
      this,
      'maxDelay (seconds)',
      (props.maxDelay ?? Duration.days(7)).toSeconds(),
      0,
      365 * 24 * 3600,
    );

    const emailDailyQuota = requireIntegerInRange(
      this,
      'emailDailyQuota',
      props.emailDailyQuota ?? 100,
      1,
      1_000_000,
    );
    const uploadsPerDay = requireIntegerInRange(
      this,
      'uploadsPerDay',
      props.uploadsPerDay ?? 200,
      1,
      1_000_000,
    );
    const aiDailyTokens = requireIntegerInRange(
      this,
      'aiDailyTokens',
      props.aiDailyTokens ?? 100_000,
      1,
      1_000_000_000,
    );
    const emailRecipientDomains = requireDomains(
      this,
      'emailRecipientDomains',
      props.emailRecipientDomains ?? [],
    );

    this.handler = new JobQueueFunction(this, 'Handler', {
      tracing: props.tracing,
      entry: 'lambdas/api/handler.ts',
      description: 'HTTP API: submit, read, cancel and retry jobs; uploads; statistics; health',
      memorySize: 1024,
      timeout: Duration.seconds(29),
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.bucketName]: props.files.bucket.bucketName,
        [ENV.queueUrls]: JSON.stringify(props.queues.queueUrls),
        [ENV.deadLetterQueueUrls]: JSON.stringify(props.queues.deadLetterQueueUrls),
        [ENV.eventSourceMappings]: JSON.stringify(props.workers.eventSourceMappingIds),
        [ENV.rateLimitPerMinute]: String(rateLimit),
        [ENV.maxUploadBytes]: String(maxUploadBytes),
        [ENV.maxDelaySeconds]: String(maxDelaySeconds),
        [ENV.completedRetentionDays]: String(props.completedRetentionDays),
        [ENV.failedRetentionDays]: String(props.failedRetentionDays),
        [ENV.emailRecipientDomains]: JSON.stringify(emailRecipientDomains),
        [ENV.emailDailyQuota]: String(emailDailyQuota),
        [ENV.uploadsPerDay]: String(uploadsPerDay),
        [ENV.aiDailyTokens]: String(aiDailyTokens),
        ...props.webhookSecret.environment,
      },
    });
    props.table.grantReadWriteData(this.handler);
    props.files.grantApiAccess(this.handler);
    props.files.grantJobFileRemoval(this.handler);
    props.queues.grantReadAttributes(this.handler);
    // Admin routes: pause/resume the workers, peek at, redrive and purge dead letters.
    props.workers.grantPauseResume(this.handler);
    props.queues.grantManageDeadLetters(this.handler);
    props.queues.grantSend(this.handler);
    // GET /v1/webhooks/secret derives the caller's signing secret from the stack's.
    props.webhookSecret.grantRead(this.handler);

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.auth.issuer, {
      jwtAudience: props.auth.audience,
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.handler, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'jobqueue HTTPS API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      defaultIntegration: integration,
      corsPreflight:
        props.corsAllowOrigins && props.corsAllowOrigins.length > 0
          ? {
              allowOrigins: props.corsAllowOrigins,
              allowMethods: [
                apigwv2.CorsHttpMethod.GET,
                apigwv2.CorsHttpMethod.POST,
                apigwv2.CorsHttpMethod.DELETE,
              ],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
              exposeHeaders: ['retry-after'],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    for (const route of ROUTES) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
        ...(route.authorized ? {} : { authorizer: new apigwv2.HttpNoneAuthorizer() }),
      });
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 100,
        burstLimit: props.throttlingBurstLimit ?? 200,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
      },
    });
    this.stageUrl = stage.url;

    const openRoutes = this.httpApi.node
      .findAll()
      .filter((child) => child instanceof apigwv2.HttpRoute && child.node.id.startsWith('GET--v1--health'));
    for (const route of openRoutes) {
      NagSuppressions.addResourceSuppressions(route, [
        { id: 'AwsSolutions-APIG4', reason: 'The health check is public by contract (GET /v1/health).' },
      ]);
    }
  }

  metricServerErrors(props?: MetricOptions): Metric {
    return this.httpApi.metricServerError({ period: Duration.minutes(5), ...props });
  }
}
