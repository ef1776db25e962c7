import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { JwtCheck } from './jwt-check';
import type { LocalFunction } from './lambda-host';
import { listen, readBody } from './net';
import type { UsageLedger } from './usage-ledger';

export interface HttpRoute {
  readonly routeKey: string;
  /** `JWT` or `NONE`. */
  readonly authorizationType: string;
  readonly target: LocalFunction;
}

export interface HttpGatewayOptions {
  readonly port: number;
  readonly routes: readonly HttpRoute[];
  readonly verify: JwtCheck;
  readonly corsAllowOrigins?: readonly string[];
  readonly region: string;
  /** Books each request in 512 KB units, as HTTP APIs bill (`npm run bench`). */
  readonly usage?: UsageLedger;
  /** Told of every answer of 500 or more (the local alarms' measure of the API's `5xx`). */
  readonly onServerError?: () => void;
}

const REQUEST_UNIT_BYTES = 512 * 1024;

/** API Gateway's payload limit for HTTP APIs. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

const compile = (routeKey: string) => {
  const [method = '', pathTemplate = ''] = routeKey.split(' ');
  const names: string[] = [];
  const pattern = pathTemplate
    .split('/')
    .map((segment) => {
      const parameter = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(parameter[1] as string);
      return parameter[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { method, regex: new RegExp(`^${pattern}$`), names };
};

/** A path parameter as sent; a malformed escape (`%E0%A4%A`) is passed on undecoded, not a 500. */
const decodePathSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Claims as HTTP APIs hand them to the function: every value a string, arrays as "[a b]". */
const flattenClaims = (claims: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(claims).map(([key, value]) => [
      key,
      Array.isArray(value)
        ? `[${value.join(' ')}]`
        : typeof value === 'string'
          ? value
          : JSON.stringify(value),
    ]),
  );

const send = (
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
};

/**
 * The HTTP API of the template: routes matched as API Gateway does (exact routes, then
 * path parameters, then `$default`), the JWT authorizer applied to routes that name it
 * (401 `{"message":"Unauthorized"}` otherwise), and a payload-2.0 event for the function.
 */
export const startHttpGateway = async (options: HttpGatewayOptions): Promise<Server> => {
  const routes = options.routes
    .filter((route) => route.routeKey !== '$default')
    .map((route) => ({ ...route, ...compile(route.routeKey) }))
    // Literal paths win over parameterised ones, as in API Gateway.
    .sort((a, b) => a.names.length - b.names.length);
  const fallback = options.routes.find((route) => route.routeKey === '$default');
  const origins = options.corsAllowOrigins ?? [];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    // Appended, not resolved: a path such as `//x` must stay a path, not become a host.
    const url = new URL(`http://local${request.url?.startsWith('/') ? request.url : '/'}`);
    const method = (request.method ?? 'GET').toUpperCase();
    const corsHeaders: Record<string, string> = {};
    const origin = request.headers.origin;
    if (origin && (origins.includes('*') || origins.includes(origin))) {
      corsHeaders['access-control-allow-origin'] = origins.includes('*') ? '*' : origin;
    }
    if (method === 'OPTIONS' && origin && request.headers['access-control-request-method']) {
      response.writeHead(204, {
        ...corsHeaders,
        'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
        'access-control-allow-headers': 'authorization,content-type,idempotency-key',
        'access-control-max-age': '600',
      });
      return response.end();
    }
    let body: Buffer;
    try {
      body = await readBody(request, MAX_REQUEST_BYTES);
    } catch {
      return send(response, 413, JSON.stringify({ message: 'Request Entity Too Large' }), corsHeaders);
    }
    options.usage?.add('Client', 'apigateway-http', 'Request', {
      requests: 1,
      billedUnits: Math.max(1, Math.ceil(body.length / REQUEST_UNIT_BYTES)),
    });
    let matched: (typeof routes)[number] | undefined;
    let pathParameters: Record<string, string> | undefined;
    for (const route of routes) {
      if (route.method !== method && route.method !== 'ANY') continue;
      const match = route.regex.exec(url.pathname);
      if (!match) continue;
      matched = route;
      if (route.names.length > 0) {
        pathParameters = Object.fromEntries(
          route.names.map((name, index) => [name, decodePathSegment(match[index + 1] ?? '')]),
        );
      }
      break;
    }
    const route = matched ?? fallback;
    if (!route) return send(response, 404, JSON.stringify({ message: 'Not Found' }), corsHeaders);

    let claims: Record<string, string> | undefined;
    if (route.authorizationType === 'JWT') {
      const header = request.headers.authorization ?? '';
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      const verified = token ? await options.verify(token) : undefined;
      if (!verified) return send(response, 401, JSON.stringify({ message: 'Unauthorized' }), corsHeaders);
      claims = flattenClaims(verified);
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams)
      query[name] = name in query ? `${query[name]},${value}` : value;
    const requestId = randomUUID();
    const now = new Date();
    const isText =
      body.length === 0 || /json|text|xml|urlencoded/.test(headers['content-type'] ?? 'application/json');
    const event = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      ...(pathParameters ? { pathParameters } : {}),
      ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isText,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        requestId,
        routeKey: route.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${request.httpVersion}`,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
      },
    };
    let result: any;
    try {
      result = await route.target.invoke(event);
    } catch {
      return send(response, 500, JSON.stringify({ message: 'Internal Server Error' }), corsHeaders);
    }
    // Payload 2.0: a result without statusCode is a 200 JSON body.
    if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
      return send(response, 200, JSON.stringify(result), { ...corsHeaders, 'apigw-requestid': requestId });
    }
    const responseBody =
      result.body === undefined
        ? ''
        : result.isBase64Encoded
          ? Buffer.from(result.body, 'base64')
          : String(result.body);
    response.writeHead(Number(result.statusCode), {
      'content-type': 'application/json',
      ...corsHeaders,
      ...(result.headers ?? {}),
      'apigw-requestid': requestId,
    });
    response.end(responseBody);
  };

  const server = createServer((request, response) => {
    response.on('finish', () => {
      if (response.statusCode >= 500) options.onServerError?.();
    });
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, JSON.stringify({ message: 'Internal Server Error' }));
      else response.destroy();
    });
  });
  await listen(server, options.port, 'HTTP API');
  return server;
};
