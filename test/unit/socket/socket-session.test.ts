import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handleFrame } from '../../../lambdas/socket/socket-session';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { socketDependencies } from '../support/socket-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const deps = socketDependencies();

/** The frames posted back to the connection, parsed. */
const sentFrames = () =>
  management
    .commandCalls(PostToConnectionCommand)
    .map((call) => JSON.parse(Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8')));

beforeEach(() => {
  dynamo.reset();
  management.reset();
  dynamo
    .on(GetCommand, { Key: { PK: 'CONN#c-1', SK: 'CONN' } })
    .resolves({ Item: { connectionId: 'c-1', userId: 'user-1', isAdmin: false, subscriptions: [] } });
});

test('ping answers pong', async () => {
  await handleFrame('c-1', JSON.stringify({ action: 'ping' }), deps);
  expect(sentFrames()).toEqual([{ type: 'pong' }]);
});

test('subscribing to an own job: exact writes, the snapshot with its version, activation from it', async () => {
  const watched = storedJob({ watched: true, version: 2, updatedAt: '2026-11-23T10:00:02.000Z' });
  dynamo.on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({ Item: storedJob() });
  dynamo.on(UpdateCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves({ Attributes: watched });
  await handleFrame('c-1', JSON.stringify({ action: 'subscribe', jobId: JOB_ID }), deps);
  const [frame, ...more] = sentFrames();
  expect(more).toEqual([]);
  expect(frame).toMatchObject({ type: 'job.snapshot', job: { jobId: JOB_ID, status: 'queued', version: 2 } });
  expect(frame.job).not.toHaveProperty('userId');
  expect(frame.job).not.toHaveProperty('watched');
  expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
    {
      TableName: 'jobs-test',
      Item: {
        PK: `SUB#${JOB_ID}`,
        SK: 'CONN#c-1',
        connectionId: 'c-1',
        pending: true,
        expiresAt: expect.any(Number),
      },
    },
  ]);
  expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
    {
      TableName: 'jobs-test',
      Key: { PK: 'CONN#c-1', SK: 'CONN' },
      UpdateExpression: 'ADD subscriptions :partition',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':partition': new Set([`SUB#${JOB_ID}`]) },
    },
    {
      TableName: 'jobs-test',
      Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' },
      UpdateExpression: 'SET watched = :true',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':true': true },
      ReturnValues: 'ALL_NEW',
    },
    {
      TableName: 'jobs-test',
      Key: { PK: `SUB#${JOB_ID}`, SK: 'CONN#c-1' },
      UpdateExpression: 'SET fromVersion = :version, fromUpdatedAt = :updatedAt REMOVE pending, missed',
      ConditionExpression: 'attribute_exists(pending) AND attribute_not_exists(missed)',
      ExpressionAttributeValues: { ':version': 2, ':updatedAt': '2026-11-23T10:00:02.000Z' },
    },
  ]);
});

test.each([
  ["someone else's job", { Item: storedJob({ userId: 'user-2' }) }, JOB_ID],
  ['a job that does not exist', {}, JOB_ID],
  ['a malformed job id', {}, 'not-a-job'],
])('subscribing to %s answers NOT_FOUND and subscribes nothing', async (_name, response, jobId) => {
  dynamo.on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } }).resolves(response);
  await handleFrame('c-1', JSON.stringify({ action: 'subscribe', jobId }), deps);
  expect(sentFrames()).toEqual([{ type: 'error', code: 'NOT_FOUND', message: 'No such job.' }]);
  // Checked before anything is written: no subscription, no watched flag.
  expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
});

test.each([['not json'], [JSON.stringify({ action: 'dance' })], [JSON.stringify({ hello: 1 })]])(
  'frame %s answers VALIDATION_ERROR',
  async (body) => {
    await handleFrame('c-1', body, deps);
    expect(sentFrames()).toEqual([expect.objectContaining({ type: 'error', code: 'VALIDATION_ERROR' })]);
  },
);
