import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalFunction } from './lambda-host';
import { listen, readBody } from './net';
import type { UsageLedger } from './usage-ledger';

export interface SocketGatewayOptions {
  readonly port: number;
  readonly stage: string;
  readonly region: string;
  /** Route key → function (`$connect`, `$disconnect`, `$default`, and action names). */
  readonly routes: ReadonlyMap<string, LocalFunction>;
  /** The `$connect` REQUEST authorizer and the query parameters it reads. */
  readonly authorizer?: { readonly function: LocalFunction; readonly identitySource: readonly string[] };
  /** Books messages (32 KB units, both ways) and connection minutes (`npm run bench`). */
  readonly usage?: UsageLedger;
}

/** API Gateway bills WebSocket messages in 32 KB units. */
const MESSAGE_UNIT_BYTES = 32 * 1024;
const messageUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / MESSAGE_UNIT_BYTES));

interface Connection {
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly authorizer: Record<string, unknown>;
}

const connectionId = () => randomBytes(9).toString('base64url');

/** API Gateway's largest WebSocket message (PostToConnection `Data`). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/**
 * The WebSocket API of the template: `$connect` runs the REQUEST authorizer (401 refuses
 * the upgrade) and the connect route; frames are routed by their `action`
 * (`$request.body.action`) or to `$default`; `$disconnect` runs on close. The same port
 * serves the stage's `@connections` management API (PostToConnection, GetConnection,
 * DeleteConnection; 410 Gone for a closed connection), which the functions call through
 * the SDK exactly as in AWS.
 */
export const startSocketGateway = async (options: SocketGatewayOptions): Promise<Server> => {
  const connections = new Map<string, Connection>();
  const sockets = new WebSocketServer({ noServer: true });
  const managementPrefix = `/${options.stage}/@connections/`;

  const requestContext = (id: string, routeKey: string, eventType: string, connection?: Connection) => ({
    routeKey,
    eventType,
    connectionId: id,
    extendedRequestId: connectionId(),
    requestId: connectionId(),
    messageDirection: 'IN',
    stage: options.stage,
    apiId: 'local',
    domainName: '127.0.0.1',
    connectedAt: connection?.connectedAt ?? Date.now(),
    requestTimeEpoch: Date.now(),
    identity: { sourceIp: connection?.sourceIp ?? '127.0.0.1', userAgent: connection?.userAgent ?? '' },
    ...(connection ? { authorizer: connection.authorizer } : {}),
  });

  const invokeRoute = async (routeKey: string, event: Record<string, unknown>) => {
    const target = options.routes.get(routeKey);
    if (!target) return undefined;
    return target.invoke(event);
  };

  const refuse = (socket: Duplex, status: number, message: string) => {
    socket.write(
      `HTTP/1.1 ${status} ${message}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message })}`,
    );
    socket.destroy();
  };

  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(`http://local${request.url?.startsWith('/') ? request.url : '/'}`);
    if (url.pathname.replace(/\/$/, '') !== `/${options.stage}`) return refuse(socket, 404, 'Not Found');
    const id = connectionId();
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([key, value]) => [
        key,
        Array.isArray(value) ? value.join(',') : (value ?? ''),
      ]),
    );
    let authorizerContext: Record<string, unknown> = {};
    if (options.authorizer) {
      const missing = options.authorizer.identitySource.some((source) => {
        const name = /querystring\.(.+)$/.exec(source)?.[1];
        return name !== undefined && !query[name];
      });
      if (missing) return refuse(socket, 401, 'Unauthorized');
      try {
        const policy: any = await options.authorizer.function.invoke({
          type: 'REQUEST',
          methodArn: `arn:aws:execute-api:${options.region}:000000000000:local/${options.stage}/$connect`,
          headers,
          queryStringParameters: query,
          requestContext: requestContext(id, '$connect', 'CONNECT'),
        });
        const allowed = policy?.policyDocument?.Statement?.some(
          (statement: any) => statement.Effect === 'Allow',
        );
        if (!allowed) return refuse(socket, 403, 'Forbidden');
        authorizerContext = { ...(policy.context ?? {}), principalId: policy.principalId };
      } catch {
        // An authorizer that throws "Unauthorized" (or fails) refuses the connection with 401.
        return refuse(socket, 401, 'Unauthorized');
      }
    }
    const connection: Omit<Connection, 'socket'> = {
      connectedAt: Date.now(),
      lastActiveAt: Date.now(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: headers['user-agent'] ?? '',
      authorizer: authorizerContext,
    };
    try {
      const result: any = await invokeRoute('$connect', {
        headers,
        queryStringParameters: query,
        requestContext: requestContext(id, '$connect', 'CONNECT', connection as Connection),
        isBase64Encoded: false,
      });
      if (result && typeof result.statusCode === 'number' && result.statusCode >= 300) {
        return refuse(socket, 403, 'Forbidden');
      }
    } catch {
      return refuse(socket, 500, 'Internal Server Error');
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const open: Connection = { ...connection, socket: ws };
      connections.set(id, open);
      ws.on('message', (data, isBinary) => {
        open.lastActiveAt = Date.now();
        const body = isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString();
        options.usage?.add('Client', 'apigateway-ws', 'MessageIn', {
          requests: 1,
          billedUnits: messageUnits(Buffer.byteLength(body)),
        });
        let routeKey = '$default';
        try {
          const action = (JSON.parse(body) as { action?: unknown })?.action;
          if (typeof action === 'string' && options.routes.has(action)) routeKey = action;
        } catch {
          // Not JSON: the $default route answers it.
        }
        invokeRoute(routeKey, {
          body,
          isBase64Encoded: isBinary,
          requestContext: { ...requestContext(id, routeKey, 'MESSAGE', open), messageId: connectionId() },
        }).catch(() => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ message: 'Internal server error' }));
        });
      });
      ws.on('close', () => {
        connections.delete(id);
        options.usage?.add('Client', 'apigateway-ws', 'ConnectionMinutes', {
          requests: 1,
          billedUnits: Math.max(1, Math.ceil((Date.now() - open.connectedAt) / 60_000)),
        });
        invokeRoute('$disconnect', {
          requestContext: requestContext(id, '$disconnect', 'DISCONNECT', open),
          isBase64Encoded: false,
        }).catch(() => {});
      });
    });
  };

  const server = createServer(async (request, response) => {
    const url = new URL(`http://local${request.url?.startsWith('/') ? request.url : '/'}`);
    if (!url.pathname.startsWith(managementPrefix)) {
      response.writeHead(404, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ message: 'Not Found' }));
    }
    const id = decodeURIComponent(url.pathname.slice(managementPrefix.length));
    const connection = connections.get(id);
    const gone = () => {
      response.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' });
      response.end(JSON.stringify({ message: 'Gone' }));
    };
    const body = await readBody(request, MAX_MESSAGE_BYTES).catch(() => undefined);
    if (body === undefined) {
      // As API Gateway: a message over 128 KB is refused whole, whatever the connection.
      response.writeHead(413, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'PayloadTooLargeException',
      });
      return response.end(
        JSON.stringify({ message: `The message is larger than ${MAX_MESSAGE_BYTES} bytes (128 KB)` }),
      );
    }
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return gone();
    switch (request.method) {
      case 'POST':
        connection.socket.send(body.toString('utf8'));
        options.usage?.add('Client', 'apigateway-ws', 'MessageOut', {
          requests: 1,
          billedUnits: messageUnits(body.length),
        });
        response.writeHead(200);
        return response.end();
      case 'GET':
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(
          JSON.stringify({
            ConnectedAt: new Date(connection.connectedAt).toISOString(),
            LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
            Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
          }),
        );
      case 'DELETE':
        connection.socket.close(1000);
        response.writeHead(204);
        return response.end();
      default:
        response.writeHead(405);
        return response.end();
    }
  });
  server.on('upgrade', (request, socket, head) => {
    onUpgrade(request, socket, head).catch(() => refuse(socket, 500, 'Internal Server Error'));
  });
  server.on('close', () => {
    for (const connection of connections.values()) connection.socket.terminate();
  });
  await listen(server, options.port, 'WebSocket API');
  return server;
};
