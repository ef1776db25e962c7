import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { ConnectionStore } from '../core/connection-store';
import { JobStore } from '../core/job-store';
import { logger } from '../core/observability';
import { managementClient } from '../core/socket-client';
import { handleFrame, type SocketDependencies } from './socket-session';

const config = readConfig(['tableName', 'webSocketCallbackUrl']);
const dependencies: SocketDependencies = {
  connections: new ConnectionStore(documentClient, config.tableName),
  jobs: new JobStore(documentClient, config.tableName),
  management: managementClient(config.webSocketCallbackUrl),
};

/** Context the `$connect` authorizer attached. */
type AuthorizedEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { userId?: string; isAdmin?: string | boolean } };
};

/** `$connect`, `$disconnect`, `subscribe`, `unsubscribe`, `ping` and `$default`. */
export const handleSocketEvent = async (
  event: AuthorizedEvent,
  deps: SocketDependencies = dependencies,
): Promise<APIGatewayProxyResultV2> => {
  const { routeKey, connectionId } = event.requestContext;
  try {
    if (routeKey === '$connect') {
      const authorizer = event.requestContext.authorizer;
      if (!authorizer?.userId) return { statusCode: 401 };
      const isAdmin = authorizer.isAdmin === true || authorizer.isAdmin === 'true';
      await deps.connections.save(connectionId, authorizer.userId, isAdmin);
      logger.debug('WebSocket connected', { connectionId, userId: authorizer.userId });
    } else if (routeKey === '$disconnect') {
      await deps.connections.remove(connectionId);
    } else {
      await handleFrame(connectionId, event.body, deps);
    }
    return { statusCode: 200 };
  } catch (error) {
    logger.error('WebSocket event failed', { routeKey, connectionId, error });
    return { statusCode: 500 };
  }
};

export const handler = middy((event: AuthorizedEvent) => handleSocketEvent(event)).use(
  injectLambdaContext(logger),
);
