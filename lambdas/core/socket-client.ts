import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { tracer } from './observability';

/** Client of a WebSocket stage's @connections API (its https callback URL). */
export const managementClient = (callbackUrl: string): ApiGatewayManagementApiClient =>
  tracer.captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint: callbackUrl }));
