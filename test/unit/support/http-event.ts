import type { HttpEvent } from '../../../lambdas/api/http';

export interface EventOptions {
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  /** The caller's `sub`; null for a request without claims. */
  readonly user?: string | null;
  readonly groups?: string;
}

/** An HTTP API (payload 2.0) event as the gateway hands it over after the JWT authorizer. */
export const httpEvent = (routeKey: string, path: string, options: EventOptions = {}): HttpEvent => {
  const [method = 'GET'] = routeKey.split(' ');
  const user = options.user === undefined ? 'user-1' : options.user;
  const claims: Record<string, string> = {};
  if (user !== null) claims.sub = user;
  if (options.groups) claims['cognito:groups'] = options.groups;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
  } as HttpEvent;
};

export const parse = (body: string | undefined): Record<string, any> => JSON.parse(body ?? 'null');
