import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { resultKey } from '../../../lambdas/core/claim-check';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { MAX_FRAME_BYTES } from '../../../lambdas/core/socket-frame';
import { jobChangeOf } from '../../../lambdas/core/stream-image';
import { notifyBatch } from '../../../lambdas/stream/notify-batch';
import { pushesFor } from '../../../lambdas/stream/plan-pushes';
import { JOB_ID, storedJob } from '../support/api-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const deps = {
  connections: new ConnectionStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    'jobs-test',
  ),
  management: new ApiGatewayManagementApiClient({
    region: 'eu-west-1',
    endpoint: 'https://ws.example.test/live',
  }),
  logger: { debug() {}, info() {}, warn() {}, error() {} },
};
const KB = 1024;
const T1 = '2026-11-23T10:00:01.000Z';
const T2 = '2026-11-23T10:00:02.000Z';

/** The stream record of a running job completing with `fields` (result or resultRef). */
const completion = (fields: Record<string, unknown>): DynamoDBRecord => {
  const running = storedJob({
    status: 'processing',
    attempts: 1,
    events: [...(storedJob().events as unknown[]), { at: T1, from: 'queued', to: 'processing', attempt: 1 }],
  });
  const completed = {
    ...running,
    ...fields,
    status: 'completed',
    updatedAt: T2,
    events: [...(running.events as unknown[]), { at: T2, from: 'processing', to: 'completed', attempt: 1 }],
  };
  return {
    eventName: 'MODIFY',
    dynamodb: {
      OldImage: marshall(running, { removeUndefinedValues: true }),
      NewImage: marshall(completed, { removeUndefinedValues: true }),
    },
  } as DynamoDBRecord;
};

const posted = () =>
  management
    .commandCalls(PostToConnectionCommand)
    .map((call) => Buffer.from(call.args[0].input.Data as Uint8Array));

beforeEach(() => {
  dynamo.reset();
  management.reset();
  dynamo.on(QueryCommand).resolves({ Items: [{ connectionId: 'c-1' }] });
  dynamo.on(GetCommand).resolves({});
  management.on(PostToConnectionCommand).resolves({});
});

test('job.completed with a result over 128 KB is pushed without it, truncated', async () => {
  await notifyBatch([completion({ result: { text: 'r'.repeat(150 * KB) } })], deps);
  const [data] = posted();
  expect(data?.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  expect(JSON.parse(String(data))).toEqual({
    type: 'job.completed',
    jobId: JOB_ID,
    status: 'completed',
    at: T2,
    version: 1,
    truncated: true,
  });
});

test('job.completed with a small result carries it, not truncated', async () => {
  await notifyBatch([completion({ result: { text: 'small' } })], deps);
  const push = JSON.parse(String(posted()[0]));
  expect(push.result).toEqual({ text: 'small' });
  expect(push).not.toHaveProperty('truncated');
});

test('a result kept in S3 is announced as truncated, never pushed or referenced', () => {
  const [push] = pushesFor(
    jobChangeOf(completion({ resultRef: { key: resultKey(JOB_ID), bytes: 300 * KB } })),
  );
  expect(push).toEqual({
    type: 'job.completed',
    jobId: JOB_ID,
    status: 'completed',
    at: T2,
    version: 1,
    truncated: true,
  });
});
