/**
 * The HTTP API's routes. The CDK stack creates one gateway route per entry (all reaching
 * the API function), so the gateway and the router cannot drift apart. Unknown routes go
 * through the `$default` route to the function, which answers 404 in the contract's shape.
 */
export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path template, e.g. `/v1/jobs/{jobId}`. */
  readonly path: string;
  /** false only for routes anyone may call without a token. */
  readonly authorized: boolean;
}

export const ROUTES = [
  { method: 'GET', path: '/v1/health', authorized: false },
  { method: 'POST', path: '/v1/jobs', authorized: true },
  { method: 'POST', path: '/v1/jobs/batch', authorized: true },
  { method: 'GET', path: '/v1/jobs', authorized: true },
  { method: 'GET', path: '/v1/jobs/{jobId}', authorized: true },
  { method: 'DELETE', path: '/v1/jobs/{jobId}', authorized: true },
  { method: 'GET', path: '/v1/jobs/{jobId}/events', authorized: true },
  { method: 'GET', path: '/v1/jobs/{jobId}/items', authorized: true },
  { method: 'POST', path: '/v1/jobs/{jobId}/cancel', authorized: true },
  { method: 'POST', path: '/v1/jobs/{jobId}/retry', authorized: true },
  { method: 'POST', path: '/v1/uploads', authorized: true },
  { method: 'GET', path: '/v1/stats', authorized: true },
  { method: 'GET', path: '/v1/notifications', authorized: true },
  { method: 'GET', path: '/v1/webhooks/secret', authorized: true },
  { method: 'GET', path: '/v1/queues', authorized: true },
  { method: 'POST', path: '/v1/queues/{priority}/pause', authorized: true },
  { method: 'POST', path: '/v1/queues/{priority}/resume', authorized: true },
  { method: 'GET', path: '/v1/queues/{priority}/dlq', authorized: true },
  { method: 'POST', path: '/v1/queues/{priority}/dlq/redrive', authorized: true },
  { method: 'POST', path: '/v1/queues/{priority}/dlq/purge', authorized: true },
  { method: 'GET', path: '/v1/admin/jobs', authorized: true },
  { method: 'POST', path: '/v1/admin/jobs/retry', authorized: true },
  { method: 'POST', path: '/v1/admin/clean', authorized: true },
  { method: 'GET', path: '/v1/admin/alarms', authorized: true },
] as const satisfies readonly RouteDefinition[];

type RouteOf<R> = R extends { readonly method: infer M extends string; readonly path: infer P extends string }
  ? `${M} ${P}`
  : never;

/** `METHOD /path` as API Gateway's routeKey names each route. */
export type RouteKey = RouteOf<(typeof ROUTES)[number]>;
