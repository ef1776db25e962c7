import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import type { LocalFunction } from '../../../local/lambda-host';
import { closeServer } from '../../../local/net';
import { MAX_MESSAGE_BYTES, startSocketGateway } from '../../../local/socket-gateway';

const STAGE = 'test';
let server: Server;
let connectionIds: string[];
let management: ApiGatewayManagementApiClient;

/** A `$connect` route that only records the connection id the gateway gave the client. */
const connectRoute = {
  name: 'connect',
  invoke: async (event: { requestContext: { connectionId: string } }) => {
    connectionIds.push(event.requestContext.connectionId);
    return { statusCode: 200 };
  },
} as unknown as LocalFunction;

const connect = async (): Promise<{ socket: WebSocket; id: string; received: string[] }> => {
  const { port } = server.address() as AddressInfo;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/${STAGE}`);
  const received: string[] = [];
  socket.on('message', (data) => received.push(data.toString()));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, id: connectionIds.at(-1) as string, received };
};

beforeEach(async () => {
  connectionIds = [];
  server = await startSocketGateway({
    port: 0,
    stage: STAGE,
    region: 'eu-west-1',
    routes: new Map([['$connect', connectRoute]]),
  });
  const { port } = server.address() as AddressInfo;
  management = new ApiGatewayManagementApiClient({
    endpoint: `http://127.0.0.1:${port}/${STAGE}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  management.destroy();
  await closeServer(server);
});

describe('local @connections API (PostToConnection)', () => {
  test('refuses a message over 128 KB with 413 PayloadTooLargeException, as API Gateway does', async () => {
    const client = await connect();
    const tooLarge = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 'a');
    await expect(
      management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: tooLarge })),
    ).rejects.toMatchObject({ name: 'PayloadTooLargeException', $metadata: { httpStatusCode: 413 } });
    // Nothing of the refused message reaches the client.
    await management.send(
      new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.from('after') }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.received).toEqual(['after']);
    client.socket.close();
  });

  test('delivers a message of exactly 128 KB', async () => {
    const client = await connect();
    const largest = Buffer.alloc(MAX_MESSAGE_BYTES, 'b');
    await management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: largest }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.received.map((message) => message.length)).toEqual([MAX_MESSAGE_BYTES]);
    client.socket.close();
  });

  test('a message for a closed connection is 410 Gone', async () => {
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: 'no-such-connection', Data: Buffer.from('x') }),
      ),
    ).rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
  });
});
