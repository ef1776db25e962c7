import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ROUTE_HANDLERS, route } from '../../../lambdas/api/handler';
import { ROUTES } from '../../../lambdas/api/route-table';
import { logger } from '../../../lambdas/core/observability';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);

beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  lambda.reset();
  jest.restoreAllMocks();
});

const JSON_ONLY = { 'content-type': 'application/json' };
const admin = { user: 'admin-1', groups: '[admin]' };

/** The event without any authorizer context, as the public $default route may pass it. */
const withoutAuthorizer = (event: ReturnType<typeof httpEvent>) =>
  ({
    ...event,
    requestContext: { ...event.requestContext, authorizer: undefined },
  }) as unknown as ReturnType<typeof httpEvent>;

test('every route of the route table has a handler, and nothing else does', () => {
  expect(Object.keys(ROUTE_HANDLERS).sort()).toEqual(
    ROUTES.map(({ method, path }) => `${method} ${path}`).sort(),
  );
});

describe('unknown routes', () => {
  test('answer 404 naming the method and path, with only the JSON content type', async () => {
    const event = { ...httpEvent('GET /v2/nothing', '/v2/nothing'), routeKey: '$default' };
    const result = await route(event, apiDependencies());
    expect(result).toEqual({
      statusCode: 404,
      headers: JSON_ONLY,
      body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No route GET /v2/nothing.' } }),
    });
  });

  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'a routeKey named like an object property (%s) is unknown too',
    async (routeKey) => {
      const result = await route(
        { ...httpEvent('DELETE /x', '/x'), routeKey } as ReturnType<typeof httpEvent>,
        apiDependencies(),
      );
      expect(result.statusCode).toBe(404);
      expect(parse(result.body).error).toEqual({ code: 'NOT_FOUND', message: 'No route DELETE /x.' });
    },
  );
});

describe('the request log', () => {
  test('a successful request writes no line at INFO: its access line (route, path, status, caller, job, correlation id, duration) is at DEBUG', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
    dynamo.on(GetCommand).resolves({ Item: storedJob() });
    await route(
      httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${JOB_ID}`, { pathParameters: { jobId: JOB_ID } }),
      apiDependencies(),
    );
    expect(info).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledTimes(1);
    expect(debug).toHaveBeenCalledWith('Request', {
      routeKey: 'GET /v1/jobs/{jobId}',
      path: `/v1/jobs/${JOB_ID}`,
      status: 200,
      userId: 'user-1',
      jobId: JOB_ID,
      correlationId: 'request-1',
      durationMs: expect.any(Number),
    });
    const durationMs = (debug.mock.calls[0]?.[1] as { durationMs?: number } | undefined)?.durationMs;
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(durationMs).toBeLessThan(10_000);
  });

  test('a request without any authorizer context is logged without a caller', async () => {
    const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
    const result = await route(withoutAuthorizer(httpEvent('$default', '/nowhere')), apiDependencies());
    expect(result.statusCode).toBe(404);
    expect(debug).toHaveBeenCalledWith(
      'Request',
      expect.objectContaining({ status: 404, userId: undefined, jobId: undefined }),
    );
  });

  test('an unexpected failure is logged as an error with its request and correlation id; a 4xx is not', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const failure = new Error('socket hang up');
    dynamo.on(GetCommand).rejects(failure);
    const event = httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${JOB_ID}`, {
      pathParameters: { jobId: JOB_ID },
    });

    const result = await route(event, apiDependencies());

    expect(result.statusCode).toBe(500);
    expect(result.headers).toEqual(JSON_ONLY);
    expect(error).toHaveBeenCalledWith('Request failed', {
      routeKey: 'GET /v1/jobs/{jobId}',
      path: `/v1/jobs/${JOB_ID}`,
      status: 500,
      userId: 'user-1',
      jobId: JOB_ID,
      correlationId: 'request-1',
      error: failure,
    });
    expect(warn).not.toHaveBeenCalled();

    error.mockClear();
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
    expect((await route(event, apiDependencies())).statusCode).toBe(404);
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  test('a write the table refuses is a 400 logged as a warning with its request and correlation id', async () => {
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const refusal = new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      $metadata: {},
      message: 'Item size has exceeded the maximum allowed size',
    });
    dynamo.on(PutCommand).rejects(refusal);

    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'system.simulate', payload: {} } }),
      apiDependencies(),
    );

    expect(result.statusCode).toBe(400);
    expect(warn).toHaveBeenCalledWith('The table refused the request', {
      routeKey: 'POST /v1/jobs',
      path: '/v1/jobs',
      status: 400,
      userId: 'user-1',
      jobId: undefined,
      correlationId: 'request-1',
      error: refusal,
    });
    expect(error).not.toHaveBeenCalled();
  });
});

describe('error responses', () => {
  test('429 carries exactly the content type and Retry-After', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    const result = await route(
      httpEvent('POST /v1/jobs', '/v1/jobs', { body: { type: 'system.simulate', payload: {} } }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(429);
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '30' });
  });

  test('an authenticated route without any authorizer context is 401 before any work', async () => {
    const result = await route(withoutAuthorizer(httpEvent('GET /v1/jobs', '/v1/jobs')), apiDependencies());
    expect(result).toEqual({
      statusCode: 401,
      headers: JSON_ONLY,
      body: JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'A valid bearer token is required.' } }),
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('job routes', () => {
  test('a successful read has exactly the JSON content type', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob() });
    const result = await route(
      httpEvent('GET /v1/jobs/{jobId}', `/v1/jobs/${JOB_ID}`, { pathParameters: { jobId: JOB_ID } }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual(JSON_ONLY);
  });

  test.each([
    ['GET /v1/jobs/{jobId}', ''],
    ['GET /v1/jobs/{jobId}/events', '/events'],
    ['GET /v1/jobs/{jobId}/items', '/items'],
    ['POST /v1/jobs/{jobId}/cancel', '/cancel'],
    ['POST /v1/jobs/{jobId}/retry', '/retry'],
  ])('%s without path parameters is 404 without a lookup', async (routeKey, suffix) => {
    const result = await route(httpEvent(routeKey, `/v1/jobs/${suffix}`), apiDependencies());
    expect(parse(result.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such job.' } });
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('items without a query string read the first page', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob() });
    dynamo.on(QueryCommand).resolves({ Items: [{ index: 0, status: 'pending' }] });
    const result = await route(
      httpEvent('GET /v1/jobs/{jobId}/items', `/v1/jobs/${JOB_ID}/items`, {
        pathParameters: { jobId: JOB_ID },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({ items: [{ index: 0, status: 'pending' }], nextCursor: null });
  });

  test('the list without a query string lists with the defaults', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await route(httpEvent('GET /v1/jobs', '/v1/jobs'), apiDependencies());
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({ jobs: [], nextCursor: null });
  });

  test('a batch answers 202 with its entries', async () => {
    const result = await route(
      httpEvent('POST /v1/jobs/batch', '/v1/jobs/batch', {
        body: { jobs: [{ type: 'system.simulate', payload: {} }] },
      }),
      apiDependencies(),
    );
    expect(result.statusCode).toBe(202);
    expect(result.headers).toEqual(JSON_ONLY);
    expect(parse(result.body).jobs).toEqual([expect.objectContaining({ status: 'queued' })]);
  });
});

describe('queue routes (admin)', () => {
  beforeEach(() => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        ApproximateNumberOfMessages: '4',
        ApproximateNumberOfMessagesNotVisible: '1',
        ApproximateNumberOfMessagesDelayed: '0',
      },
    });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
  });

  const call = (routeKey: string, priority?: string) =>
    route(
      httpEvent(routeKey, `/v1/queues/${priority ?? ''}`, {
        ...admin,
        pathParameters: priority === undefined ? undefined : { priority },
      }),
      apiDependencies(),
    );

  test('pause disables the priority’s event source mapping and answers the queue paused', async () => {
    lambda.on(GetEventSourceMappingCommand).resolves({ State: 'Disabling' });
    const result = await call('POST /v1/queues/{priority}/pause', 'low');
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual({
      priority: 'low',
      paused: true,
      waiting: 4,
      inFlight: 1,
      delayed: 0,
      dlq: 4,
    });
    expect(lambda).toHaveReceivedCommandWith(UpdateEventSourceMappingCommand, {
      UUID: 'esm-l',
      Enabled: false,
    });
  });

  test('resume enables it again and answers the queue running', async () => {
    lambda.on(GetEventSourceMappingCommand).resolves({ State: 'Enabling' });
    const result = await call('POST /v1/queues/{priority}/resume', 'high');
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toMatchObject({ priority: 'high', paused: false });
    expect(lambda).toHaveReceivedCommandWith(UpdateEventSourceMappingCommand, {
      UUID: 'esm-h',
      Enabled: true,
    });
  });

  test('the list has every priority', async () => {
    lambda.on(GetEventSourceMappingCommand).resolves({ State: 'Enabled' });
    const result = await call('GET /v1/queues');
    expect(result.statusCode).toBe(200);
    expect(parse(result.body).queues.map((queue: { priority: string }) => queue.priority)).toEqual([
      'critical',
      'high',
      'normal',
      'low',
    ]);
  });

  test.each([
    ['POST /v1/queues/{priority}/dlq/redrive', { moved: 0 }],
    ['POST /v1/queues/{priority}/dlq/purge', { purged: 0 }],
    ['GET /v1/queues/{priority}/dlq', { messages: [] }],
  ])('%s on an empty dead-letter queue answers %j', async (routeKey, body) => {
    const result = await call(routeKey, 'normal');
    expect(result.statusCode).toBe(200);
    expect(parse(result.body)).toEqual(body);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { QueueUrl: 'n-dlq' });
  });

  test.each([
    'POST /v1/queues/{priority}/pause',
    'POST /v1/queues/{priority}/resume',
    'GET /v1/queues/{priority}/dlq',
    'POST /v1/queues/{priority}/dlq/redrive',
  ])('%s without a priority is 404', async (routeKey) => {
    const result = await call(routeKey);
    expect(result.statusCode).toBe(404);
    expect(parse(result.body).error.code).toBe('NOT_FOUND');
    expect(lambda).not.toHaveReceivedCommand(UpdateEventSourceMappingCommand);
  });
});
