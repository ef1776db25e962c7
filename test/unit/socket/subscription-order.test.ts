import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handleFrame } from '../../../lambdas/socket/socket-session';
import { JOB_ID, storedJob } from '../support/api-dependencies';
import { socketDependencies } from '../support/socket-dependencies';

const dynamo = mockClient(DynamoDBDocumentClient);
const management = mockClient(ApiGatewayManagementApiClient);
const deps = socketDependencies();

test('pending subscription, then the watched flag (whose write is the snapshot), then the send, then activation', async () => {
  const order: string[] = [];
  dynamo
    .on(GetCommand, { Key: { PK: 'CONN#c-1', SK: 'CONN' } })
    .resolves({ Item: { connectionId: 'c-1', userId: 'user-1', isAdmin: false, subscriptions: [] } })
    .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
    .callsFake(() => {
      order.push('read job');
      return { Item: storedJob() };
    })
    .on(PutCommand)
    .callsFake((input) => {
      order.push(`put ${input.Item?.PK}${input.Item?.pending ? ' pending' : ''}`);
      return {};
    })
    .on(UpdateCommand)
    .callsFake((input) => {
      const expression = String(input.UpdateExpression);
      order.push(`update ${input.Key?.PK} ${expression.split(' ').slice(0, 2).join(' ')}`);
      return input.Key?.PK === `JOB#${JOB_ID}` ? { Attributes: storedJob({ watched: true }) } : {};
    });
  management.on(PostToConnectionCommand).callsFake(() => {
    order.push('send');
    return {};
  });
  await handleFrame('c-1', JSON.stringify({ action: 'subscribe', jobId: JOB_ID }), deps);
  expect(order).toEqual([
    // The ownership check comes before anything is written.
    'read job',
    `put SUB#${JOB_ID} pending`,
    'update CONN#c-1 ADD subscriptions',
    // Every change after this write reaches the notifier, which finds the subscription pending.
    `update JOB#${JOB_ID} SET watched`,
    'send',
    // Only now may the notifier push, and only what is newer than the snapshot.
    `update SUB#${JOB_ID} SET fromVersion`,
  ]);
});
