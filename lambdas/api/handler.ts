import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { documentClient, sqsClient } from '../core/aws-clients';
import { ClaimCheck } from '../core/claim-check';
import { readConfig } from '../core/config';
import { DailyQuota } from '../core/daily-quota';
import { isStoreValidationError, NotFoundError, toErrorBody } from '../core/errors';
import { JobStore } from '../core/job-store';
import { logger } from '../core/observability';
import { RateLimiter } from '../core/rate-limiter';
import { s3Client } from '../core/s3-client';
import { StatsStore } from '../core/stats-store';
import type { User } from '../core/user';
import { WebhookSecrets } from '../jobs/webhook-signing';
import { listAlarms } from './admin-alarms';
import { retryJobs, searchJobs } from './admin-jobs';
import { drainDeadLetters, listQueues, peekDeadLetters, requireAdmin, setQueuePaused } from './admin-queues';
import { createUpload } from './create-upload';
import type { ApiDependencies } from './dependencies';
import { getStats } from './get-stats';
import { health } from './health';
import { type HttpEvent, type HttpResult, header, json, jsonBody, userOf } from './http';
import { cancelJob, retryJob } from './job-actions';
import { listNotifications } from './list-notifications';
import { getJob, getJobEvents, listJobItems, listJobs } from './read-jobs';
import { cleanJobs, deleteJob } from './remove-jobs';
import type { RouteKey } from './route-table';
import { submitBatch, submitJob, validateIdempotencyKey } from './submit-jobs';
import { getWebhookSecret } from './webhook-secret';

const config = readConfig([
  'tableName',
  'bucketName',
  'queueUrls',
  'deadLetterQueueUrls',
  'eventSourceMappings',
  'rateLimitPerMinute',
  'maxUploadBytes',
  'maxDelaySeconds',
  'completedRetentionDays',
  'failedRetentionDays',
  'emailRecipientDomains',
  'emailDailyQuota',
  'uploadsPerDay',
  'aiDailyTokens',
  'webhookSecretArn',
  // Read by the data.sync payload schema at submission; validated here at cold start.
  'webhookAllowLoopback',
  'alarmNamePrefix',
]);

const clock = () => new Date();
const dependencies: ApiDependencies = {
  store: new JobStore(
    documentClient,
    config.tableName,
    { completedDays: config.completedRetentionDays, failedDays: config.failedRetentionDays },
    clock,
  ),
  limiter: new RateLimiter(documentClient, config.tableName, config.rateLimitPerMinute, clock),
  quotas: new DailyQuota(documentClient, config.tableName, clock),
  claimCheck: new ClaimCheck(s3Client, config.bucketName),
  documentClient,
  s3: s3Client,
  sqs: sqsClient,
  lambda: new LambdaClient({}),
  cloudwatch: new CloudWatchClient({}),
  webhookSecrets: new WebhookSecrets(new SecretsManagerClient({}), config.webhookSecretArn),
  clock,
  settings: config,
};
const stats = new StatsStore(documentClient, config.tableName);

type Route = (event: HttpEvent, deps: ApiDependencies) => Promise<HttpResult>;
type UserRoute = (event: HttpEvent, user: User, deps: ApiDependencies) => Promise<HttpResult>;

/** Routes that need a caller get one; a missing `sub` is a 401 before any work. */
const authenticated =
  (route: UserRoute): Route =>
  (event, deps) =>
    route(event, userOf(event), deps);

const query = (event: HttpEvent) => event.queryStringParameters ?? {};
const jobId = (event: HttpEvent) => event.pathParameters?.jobId;
const priority = (event: HttpEvent) => event.pathParameters?.priority;

const submitContext = (event: HttpEvent, user: User) => ({
  user,
  requestId: event.requestContext.requestId,
  idempotencyKey: validateIdempotencyKey(header(event, 'idempotency-key')),
});

/** Every route of route-table.ts, checked by the compiler. */
export const ROUTE_HANDLERS: Readonly<Record<RouteKey, Route>> = {
  'GET /v1/health': async (_event, deps) => {
    const { statusCode, body } = await health(deps);
    return json(statusCode, body);
  },
  'POST /v1/jobs': authenticated(async (event, user, deps) => {
    const context = submitContext(event, user);
    const { statusCode, job } = await submitJob(jsonBody(event), context, deps);
    return json(statusCode, job);
  }),
  'POST /v1/jobs/batch': authenticated(async (event, user, deps) =>
    json(202, await submitBatch(jsonBody(event), submitContext(event, user), deps)),
  ),
  'GET /v1/jobs': authenticated(async (event, user, deps) =>
    json(200, await listJobs(query(event), user, deps)),
  ),
  'GET /v1/jobs/{jobId}': authenticated(async (event, user, deps) =>
    json(200, await getJob(jobId(event), user, deps)),
  ),
  'DELETE /v1/jobs/{jobId}': authenticated(async (event, user, deps) => {
    await deleteJob(jobId(event), user, deps);
    return { statusCode: 204, headers: {} };
  }),
  'GET /v1/jobs/{jobId}/events': authenticated(async (event, user, deps) =>
    json(200, await getJobEvents(jobId(event), user, deps)),
  ),
  'GET /v1/jobs/{jobId}/items': authenticated(async (event, user, deps) =>
    json(200, await listJobItems(jobId(event), query(event), user, deps)),
  ),
  'POST /v1/jobs/{jobId}/cancel': authenticated(async (event, user, deps) =>
    json(202, await cancelJob(jobId(event), user, deps)),
  ),
  'POST /v1/jobs/{jobId}/retry': authenticated(async (event, user, deps) =>
    json(202, await retryJob(jobId(event), user, deps)),
  ),
  'POST /v1/uploads': authenticated(async (event, user, deps) =>
    json(201, await createUpload(jsonBody(event), user, deps)),
  ),
  'GET /v1/stats': authenticated(async (event, user, deps) =>
    json(200, await getStats(user, query(event), deps, stats)),
  ),
  'GET /v1/notifications': authenticated(async (event, user, deps) =>
    json(200, await listNotifications(query(event), user, deps)),
  ),
  'GET /v1/webhooks/secret': authenticated(async (_event, user, deps) =>
    json(200, await getWebhookSecret(user, deps), { 'cache-control': 'no-store' }),
  ),
  'GET /v1/queues': authenticated(async (_event, user, deps) => json(200, await listQueues(user, deps))),
  'POST /v1/queues/{priority}/pause': authenticated(async (event, user, deps) =>
    json(200, await setQueuePaused(priority(event), true, user, deps)),
  ),
  'POST /v1/queues/{priority}/resume': authenticated(async (event, user, deps) =>
    json(200, await setQueuePaused(priority(event), false, user, deps)),
  ),
  'GET /v1/queues/{priority}/dlq': authenticated(async (event, user, deps) =>
    json(200, await peekDeadLetters(priority(event), query(event), user, deps)),
  ),
  'POST /v1/queues/{priority}/dlq/redrive': authenticated(async (event, user, deps) =>
    json(200, await drainDeadLetters(priority(event), 'redrive', user, deps)),
  ),
  'POST /v1/queues/{priority}/dlq/purge': authenticated(async (event, user, deps) =>
    json(200, await drainDeadLetters(priority(event), 'purge', user, deps)),
  ),
  'GET /v1/admin/jobs': authenticated(async (event, user, deps) =>
    json(200, await searchJobs(query(event), user, deps)),
  ),
  'POST /v1/admin/jobs/retry': authenticated(async (event, user, deps) => {
    requireAdmin(user); // before the body is read: a non-admin is told nothing about it
    return json(202, await retryJobs(jsonBody(event), user, deps));
  }),
  'GET /v1/admin/alarms': authenticated(async (_event, user, deps) =>
    json(200, await listAlarms(user, deps)),
  ),
  'POST /v1/admin/clean': authenticated(async (event, user, deps) => {
    requireAdmin(user); // before the body is read: a non-admin is told nothing about it
    const { statusCode, job } = await cleanJobs(jsonBody(event), submitContext(event, user), deps);
    return json(statusCode, job);
  }),
};

const isRouteKey = (key: string): key is RouteKey => Object.hasOwn(ROUTE_HANDLERS, key);

/** Routes one HTTP API (payload 2.0) request; every error leaves in the contract's shape. */
export const route = async (event: HttpEvent, deps: ApiDependencies = dependencies): Promise<HttpResult> => {
  const started = Date.now();
  const request = () => ({
    routeKey: event.routeKey,
    path: event.rawPath,
    userId: event.requestContext.authorizer?.jwt?.claims?.sub,
    jobId: jobId(event),
    correlationId: event.requestContext.requestId,
  });
  let result: HttpResult;
  try {
    if (!isRouteKey(event.routeKey))
      throw new NotFoundError(`No route ${event.requestContext.http.method} ${event.rawPath}.`);
    result = await ROUTE_HANDLERS[event.routeKey](event, deps);
  } catch (error) {
    const { statusCode, body, headers } = toErrorBody(error);
    if (statusCode >= 500) logger.error('Request failed', { ...request(), status: statusCode, error });
    else if (isStoreValidationError(error))
      logger.warn('The table refused the request', { ...request(), status: statusCode, error });
    result = json(statusCode, body, headers);
  }
  // An access log at DEBUG only: at INFO a line per request is most of the API's log bill
  // (API Gateway's own access logs can be switched on instead).
  logger.debug('Request', { ...request(), status: result.statusCode, durationMs: Date.now() - started });
  return result;
};

export const handler = middy((event: HttpEvent) => route(event)).use(injectLambdaContext(logger));
