import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { notifyBatch } from '../../../lambdas/stream/notify-batch';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { conditionFailed } from '../support/aws';

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

const T2 = '2026-11-23T10:00:02.000Z';
const running = storedJob({
  status: 'processing',
  attempts: 1,
  updatedAt: T1,
  events: [...(storedJob().events as unknown[]), { at: T1, from: 'queued', to: 'processing', attempt: 1 }],
  version: 2,
  watched: true,
});
const started = record(storedJob({ watched: true }), running);
/** A progress write (no new event, same version today) after the start. */
const progressed = record(running, { ...running, progress: { percent: 50 }, updatedAt: T2 });

const pushedTo = (connectionId: string) =>
  management
    .commandCalls(PostToConnectionCommand, { ConnectionId: connectionId })
    .map((call) => JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString()));

/** Subscription items of the job's partition (a fresh mock per test). */
const jobSubscriptions = (items: Record<string, unknown>[]) =>
  dynamo
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': `SUB#${JOB_ID}` } })
    .resolves({ Items: items });

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
    version: 2,
  });
  expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, { Key: { PK: 'CONN#closed', SK: 'CONN' } });
  // Read consistently: a stale read could miss a subscription activated a moment ago.
  expect(dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
    {
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `SUB#${JOB_ID}` },
      ConsistentRead: true,
    },
    {
      TableName: 'jobs-test',
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' },
      ConsistentRead: true,
    },
  ]);
});

test('another failure is counted and skipped: it neither throws nor drops the connection', async () => {
  management.on(PostToConnectionCommand).rejects(new Error('throttled'));
  const summary = await notifyBatch([started], deps);
  expect(summary).toEqual({ sent: 0, gone: 0, failed: 2 });
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
});

describe('snapshot first: a job subscription gets only what its snapshot did not show', () => {
  beforeEach(() => {
    management.on(PostToConnectionCommand).resolves({});
    dynamo
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' } })
      .resolves({ Items: [] });
  });

  test('a pending subscription gets nothing, even through a user-wide one; the skip is marked', async () => {
    jobSubscriptions([{ connectionId: 'alive', pending: true }]);
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' } }).resolves({
      Items: [{ connectionId: 'alive' }],
    });
    dynamo.on(UpdateCommand).resolves({});
    const summary = await notifyBatch([started], deps);
    expect(summary).toEqual({ sent: 0, gone: 0, failed: 0 });
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'jobs-test',
        Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#alive' },
        UpdateExpression: 'SET missed = :true',
        ConditionExpression: 'attribute_exists(pending)',
        ExpressionAttributeValues: { ':true': true },
      },
    ]);
  });

  test('one activated while the change was on its way (the mark fails) is pushed what is newer', async () => {
    jobSubscriptions([{ connectionId: 'alive', pending: true }]);
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand, { Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#alive' } }).resolves({
      Item: { connectionId: 'alive', fromVersion: 1, fromUpdatedAt: '2026-11-23T10:00:00.000Z' },
    });
    await notifyBatch([started], deps);
    expect(pushedTo('alive')).toEqual([
      { type: 'job.status', jobId: JOB_ID, status: 'processing', at: T1, attempt: 1, version: 2 },
    ]);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#alive' },
      ConsistentRead: true,
    });
  });

  test('a lagging change the snapshot already showed is skipped; a later write of the same version is not', async () => {
    jobSubscriptions([{ connectionId: 'alive', fromVersion: 2, fromUpdatedAt: T1 }]);
    const summary = await notifyBatch([started, progressed], deps);
    expect(summary).toEqual({ sent: 1, gone: 0, failed: 0 });
    expect(pushedTo('alive')).toEqual([
      {
        type: 'job.progress',
        jobId: JOB_ID,
        status: 'processing',
        at: T2,
        version: 2,
        progress: { percent: 50 },
      },
    ]);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  test('a user-wide subscription (no snapshot) gets every push of the job, in order', async () => {
    jobSubscriptions([]);
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SUB#USER#user-1' } }).resolves({
      Items: [{ connectionId: 'alive' }],
    });
    await notifyBatch([started, progressed], deps);
    expect(pushedTo('alive').map((push) => [push.type, push.version])).toEqual([
      ['job.status', 2],
      ['job.progress', 2],
    ]);
  });

  test('a change that pushes nothing (the watched flag being set) reads no subscription', async () => {
    const job = storedJob({ status: 'processing', attempts: 1 });
    await notifyBatch([record(job, { ...job, watched: true })], deps);
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    expect(management).not.toHaveReceivedCommand(PostToConnectionCommand);
  });
});
