import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { notifyBatch } from '../../../lambdas/stream/notify-batch';
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

const T1 = '2026-11-23T10:00:01.000Z';
const record = (oldImage: Record<string, unknown>, newImage: Record<string, unknown>): DynamoDBRecord =>
  ({
    eventName: 'MODIFY',
    dynamodb: {
      OldImage: marshall(oldImage, { removeUndefinedValues: true }),
      NewImage: marshall(newImage, { removeUndefinedValues: true }),
    },
  }) as DynamoDBRecord;

const started = record(
  storedJob(),
  storedJob({
    status: 'processing',
    attempts: 1,
    updatedAt: T1,
    events: [...(storedJob().events as unknown[]), { at: T1, from: 'queued', to: 'processing', attempt: 1 }],
  }),
);

beforeEach(() => {
  dynamo.reset();
  management.reset();
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': `SUB#${JOB_ID}` } }).resolves({
    Items: [{ connectionId: 'alive' }, { connectionId: 'closed' }],
  });
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' } }).resolves({
    Items: [{ connectionId: 'alive' }],
  });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
});

test('each subscriber (job or owner) gets the push once; a 410 Gone connection is forgotten', async () => {
  management
    .on(PostToConnectionCommand, { ConnectionId: 'closed' })
    .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
  management.on(PostToConnectionCommand, { ConnectionId: 'alive' }).resolves({});
  const summary = await notifyBatch([started], deps);
  expect(summary).toEqual({ sent: 1, gone: 1, failed: 0 });
  const pushed = management.commandCalls(PostToConnectionCommand, { ConnectionId: 'alive' });
  expect(JSON.parse(Buffer.from(pushed[0]?.args[0].input.Data as Uint8Array).toString())).toEqual({
    type: 'job.status',
    jobId: JOB_ID,
    status: 'processing',
    at: T1,
    attempt: 1,
  });
  expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { Key: { PK: 'CONN#closed', SK: 'CONN' } });
});

test('another failure is counted and skipped: it neither throws nor drops the connection', async () => {
  management.on(PostToConnectionCommand).rejects(new Error('throttled'));
  const summary = await notifyBatch([started], deps);
  expect(summary).toEqual({ sent: 0, gone: 0, failed: 2 });
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
});
