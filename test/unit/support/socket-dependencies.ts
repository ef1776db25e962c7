import {
  ApiGatewayManagementApiClient,
  type PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
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

/**
 * Session dependencies whose stores record what was asked of them (`calls`) and whose
 * @connections client keeps the frames posted (`posted`). `jobs` are handed out in order,
 * one per read or watched-flag write (the access check, then each snapshot);
 * `activations` are the answers of successive activations ('active' once they run out).
 */
export const recordingSocketDependencies = (
  options: { connection?: unknown; jobs?: unknown[]; activations?: string[]; rearmed?: boolean } = {},
) => {
  const calls: unknown[][] = [];
  const posted: Record<string, any>[] = [];
  const jobs = [...(options.jobs ?? [])];
  const activations = [...(options.activations ?? [])];
  const record =
    (name: string, result?: unknown) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return result;
    };
  const connection =
    'connection' in options ? options.connection : { connectionId: 'c-1', userId: 'user-1', isAdmin: false };
  const deps = {
    connections: {
      save: record('save'),
      remove: record('remove'),
      get: record('get', connection),
      subscribe: record('subscribe'),
      unsubscribe: record('unsubscribe'),
      unsubscribeAll: record('unsubscribeAll'),
      watchJob: async (jobId: string) => {
        calls.push(['watchJob', jobId]);
        return jobs.shift();
      },
      activate: async (...args: unknown[]) => {
        calls.push(['activate', ...args]);
        return activations.shift() ?? 'active';
      },
      rearm: record('rearm', options.rearmed ?? true),
    },
    jobs: {
      get: async (jobId: string) => {
        calls.push(['job', jobId]);
        return jobs.shift();
      },
    },
    management: {
      send: async (command: PostToConnectionCommand) => {
        posted.push(JSON.parse(Buffer.from(command.input.Data as Uint8Array).toString('utf8')));
        return {};
      },
    },
  } as unknown as SocketDependencies;
  return { deps, calls, posted };
};
