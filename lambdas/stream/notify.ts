import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../core/aws-clients';
import { readConfig } from '../core/config';
import { ConnectionStore } from '../core/connection-store';
import { logger } from '../core/observability';
import { managementClient } from '../core/socket-client';
import { notifyBatch } from './notify-batch';

const config = readConfig(['tableName', 'webSocketCallbackUrl']);
const dependencies = {
  connections: new ConnectionStore(documentClient, config.tableName),
  management: managementClient(config.webSocketCallbackUrl),
  logger,
};

/** Table stream consumer (job items): WebSocket pushes for subscribers. */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const summary = await notifyBatch(event.Records, dependencies);
  if (summary.sent + summary.gone + summary.failed > 0) logger.debug('Pushed job changes', { ...summary });
  return { batchItemFailures: [] };
}).use(injectLambdaContext(logger));
