/**
 * The dashboard's Content-Security-Policy: its own scripts and styles only, no framing,
 * and connections only to `connectSources` (the API, the WebSocket, the sign-in). Shared
 * by CloudFront's response headers and the local server, so the browser tests run the
 * SPA under the policy it is deployed with.
 */
export const dashboardContentSecurityPolicy = (connectSources: readonly string[]): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${connectSources.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
