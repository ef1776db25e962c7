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

test('the snapshot is sent only after the subscription is recorded, so no change falls between them', async () => {
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
      order.push(`write ${input.Item?.PK}`);
      return {};
    })
    .on(UpdateCommand)
    .callsFake((input) => {
      order.push(`write ${input.Key?.PK}`);
      return {};
    });
  management.on(PostToConnectionCommand).callsFake(() => {
    order.push('send');
    return {};
  });
  await handleFrame('c-1', JSON.stringify({ action: 'subscribe', jobId: JOB_ID }), deps);
  const recorded = order.indexOf(`write SUB#${JOB_ID}`);
  const sent = order.indexOf('send');
  expect(recorded).toBeGreaterThanOrEqual(0);
  expect(sent).toBeGreaterThan(recorded);
  // The snapshot is read after the subscription, so it is at least as new as any push missed.
  expect(order.lastIndexOf('read job')).toBeGreaterThan(recorded);
});
