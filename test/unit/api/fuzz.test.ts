import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { route } from '../../../lambdas/api/handler';
import type { HttpEvent } from '../../../lambdas/api/http';
import { JOB_STATUSES } from '../../../lambdas/core/job-status';
import {
  contractViolation,
  type FuzzRequest,
  fuzzRuns,
  KNOWN_JOB_ID,
  ROUTES_UNDER_FUZZ,
  requestTo,
  requestToNowhere,
} from '../../support/http-fuzz';
import { apiDependencies, storedJob } from '../support/api-dependencies';

/**
 * Property: whatever a caller sends to whichever route, the router answers below 500,
 * leaks nothing, and every non-2xx carries the contract's error body. The router runs for
 * real over a small fake table (one job, owned by user-1, in a generated status), healthy
 * queues, and a table that sometimes refuses writes as DynamoDB does (ValidationException).
 */
const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const cloudwatch = mockClient(CloudWatchClient);

const CALLERS = [
  { sub: 'user-1' },
  { sub: 'user-2' },
  { sub: 'admin-1', groups: '[admin]' },
  { sub: 'user-1', groups: '["admin"]' },
  { sub: 'a#b' },
  { sub: '' },
  {},
] as const;

interface World {
  readonly status: (typeof JOB_STATUSES)[number];
  readonly tableRefusesWrites: boolean;
  readonly caller: (typeof CALLERS)[number];
}

const world: fc.Arbitrary<World> = fc.record({
  status: fc.constantFrom(...JOB_STATUSES),
  tableRefusesWrites: fc.oneof(
    { weight: 4, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  // Mostly the job's owner, so requests get past authentication to the deeper code.
  caller: fc.oneof(
    { weight: 4, arbitrary: fc.constant(CALLERS[0]) },
    { weight: 3, arbitrary: fc.constantFrom(...CALLERS) },
  ),
});

const refusal = () =>
  new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    $metadata: {},
    message: 'Item size has exceeded the maximum allowed size',
  });

const arrange = ({ status, tableRefusesWrites }: World) => {
  dynamo.reset();
  const job = storedJob({ status, jobId: KNOWN_JOB_ID });
  dynamo.on(GetCommand).callsFake((input: GetCommandInput) => ({
    Item: input.Key?.PK === `JOB#${KNOWN_JOB_ID}` ? structuredClone(job) : undefined,
  }));
  dynamo.on(QueryCommand).resolves({ Items: [] });
  if (tableRefusesWrites) {
    dynamo.on(PutCommand).rejects(refusal());
    dynamo.on(TransactWriteCommand).rejects(refusal());
    dynamo.on(UpdateCommand).rejects(refusal());
    dynamo.on(DeleteCommand).rejects(refusal());
  } else {
    dynamo.on(PutCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({ Attributes: structuredClone(job) });
    dynamo.on(DeleteCommand).resolves({ Attributes: structuredClone(job) });
  }
};

beforeAll(() => {
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  lambda.on(GetEventSourceMappingCommand).resolves({ State: 'Enabled' });
  lambda.on(UpdateEventSourceMappingCommand).resolves({});
  s3.on(HeadBucketCommand).resolves({});
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'stack-webhook-secret' });
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
});
afterAll(() => {
  for (const client of [dynamo, sqs, lambda, s3, secrets, cloudwatch]) client.restore();
});

const toEvent = (request: FuzzRequest, routeKey: string, caller: World['caller']): HttpEvent => {
  const claims: Record<string, string> = {};
  if ('sub' in caller) claims.sub = caller.sub;
  if ('groups' in caller) claims['cognito:groups'] = caller.groups;
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query as Record<string, string>).toString(),
    headers: { ...request.headers },
    queryStringParameters: Object.keys(request.query).length > 0 ? { ...request.query } : undefined,
    pathParameters:
      Object.keys(request.pathParameters).length > 0 ? { ...request.pathParameters } : undefined,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      requestId: 'fuzz',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'fuzz',
      },
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
  } as HttpEvent;
};

const answersInContract = async (request: FuzzRequest, routeKey: string, setting: World) => {
  arrange(setting);
  const result = await route(toEvent(request, routeKey, setting.caller), apiDependencies());
  const violation = contractViolation(result.statusCode ?? 200, result.body);
  if (violation) throw new Error(`${routeKey} ${request.path} → ${violation}`);
};

describe.each(
  ROUTES_UNDER_FUZZ.map((definition) => [`${definition.method} ${definition.path}`, definition] as const),
)('%s', (routeKey, definition) => {
  test('never a 5xx, a leak, or an error body outside the contract', async () => {
    await fc.assert(
      fc.asyncProperty(requestTo(definition, { allowCrash: true }), world, (request, setting) =>
        answersInContract(request, routeKey, setting),
      ),
      // Routes that read a body get more runs: that is where hostile JSON goes.
      { numRuns: fuzzRuns(definition.method === 'POST' ? 60 : 15) },
    );
  });
});

test('requests to no route answer a contract 404, never a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(requestToNowhere({ allowCrash: true }), world, (request, setting) =>
      answersInContract(request, '$default', setting),
    ),
    { numRuns: fuzzRuns(40) },
  );
});

test('the property catches a 5xx (the fuzz is not vacuous)', () => {
  expect(contractViolation(500, '{"error":{"code":"INTERNAL_ERROR","message":"x"}}')).toBe('status 500');
  expect(contractViolation(400, '{"message":"Bad"}')).toMatch(/contract/);
  expect(contractViolation(400, '{"error":{"code":"X","message":"at foo (/a.js:1:2)"}}')).toMatch(/leaked/);
  expect(contractViolation(404, '{"error":{"code":"NOT_FOUND","message":"No such job."}}')).toBeUndefined();
});
