import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConnectionStore } from '../../../lambdas/core/connection-store';
import { JobStore } from '../../../lambdas/core/job-store';
import type { SocketDependencies } from '../../../lambdas/socket/socket-session';

/** The socket session's real stores and @connections client, over SDK clients the test mocks. */
export const socketDependencies = (): SocketDependencies => {
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  return {
    connections: new ConnectionStore(documentClient, 'jobs-test'),
    jobs: new JobStore(documentClient, 'jobs-test'),
    management: new ApiGatewayManagementApiClient({
      region: 'eu-west-1',
      endpoint: 'https://ws.example.test/prod',
    }),
  };
};
