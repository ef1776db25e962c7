import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const jobRoutes = [
  ['GET /v1/jobs/{jobId}', 'GET', ''],
  ['GET /v1/jobs/{jobId}/events', 'GET', '/events'],
  ['GET /v1/jobs/{jobId}/items', 'GET', '/items'],
  ['POST /v1/jobs/{jobId}/cancel', 'POST', '/cancel'],
  ['POST /v1/jobs/{jobId}/retry', 'POST', '/retry'],
] as const;

const call = (routeKey: string, suffix: string, options: { user?: string; groups?: string } = {}) =>
  route(
    httpEvent(routeKey, `/v1/jobs/${JOB_ID}${suffix}`, { pathParameters: { jobId: JOB_ID }, ...options }),
    apiDependencies(),
  );

/** Writes to the job item (rate-window counters are not the job's). */
const jobWrites = () =>
  dynamo.commandCalls(UpdateCommand).filter((update) => update.args[0].input.Key?.PK === `JOB#${JOB_ID}`);

describe.each(jobRoutes)('%s', (routeKey, _method, suffix) => {
  test("another user's job answers 404 NOT_FOUND and is never changed", async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'owner', status: 'failed' }) });
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await call(routeKey, suffix, { user: 'intruder' });
    expect(result.statusCode).toBe(404);
    expect(parse(result.body).error).toEqual({ code: 'NOT_FOUND', message: 'No such job.' });
    expect(jobWrites()).toHaveLength(0);
  });

  test('a group claim that merely contains "admin" grants nothing', async () => {
    dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'owner', status: 'failed' }) });
    const result = await call(routeKey, suffix, { user: 'intruder', groups: '[administrators]' });
    expect(result.statusCode).toBe(404);
    expect(jobWrites()).toHaveLength(0);
  });
});

test('an admin may cancel any user’s waiting job', async () => {
  dynamo.on(GetCommand).resolves({ Item: storedJob({ userId: 'owner' }) });
  dynamo.on(UpdateCommand).resolves({ Attributes: storedJob({ userId: 'owner', status: 'cancelled' }) });
  const result = await call('POST /v1/jobs/{jobId}/cancel', '/cancel', {
    user: 'operator',
    groups: '[admin]',
  });
  expect(result.statusCode).toBe(202);
  expect(jobWrites()).toHaveLength(1);
});

test('cancelling a running job writes cancelRequested = true, conditional on processing', async () => {
  dynamo.on(GetCommand).resolves({ Item: storedJob({ status: 'processing', attempts: 1 }) });
  dynamo
    .on(UpdateCommand)
    .resolves({ Attributes: storedJob({ status: 'processing', cancelRequested: true }) });
  await call('POST /v1/jobs/{jobId}/cancel', '/cancel');
  const [write] = jobWrites();
  const input = write?.args[0].input;
  expect(input?.UpdateExpression).toMatch(/SET cancelRequested = :true/);
  expect(input?.ExpressionAttributeValues?.[':true']).toBe(true);
  expect(input?.ConditionExpression).toContain('#status = :processing');
});
