import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JWK } from 'jose';
import { queueDepth } from '../lambdas/core/queue-depth';
import { ensureDashboardBuilt } from '../lib/dashboard-build';
import { dashboardContentSecurityPolicy } from '../lib/dashboard-policy';
import type { LocalAwsEndpoints } from './aws-endpoints';
import { listen, readBody } from './net';

export interface TransitionLine {
  readonly at: string;
  readonly jobId: string;
  readonly type: string;
  readonly priority: string;
  readonly from: string;
  readonly to: string;
  readonly attempt: number;
  readonly error?: string;
}

export interface DashboardOptions {
  readonly port: number;
  readonly issuerPath: string;
  readonly publicJwk: JWK;
  readonly sqs: SQSClient;
  readonly queues: Readonly<Record<string, { url: string; dlqUrl: string }>>;
  /** Newest last; the page shows the newest first. */
  readonly transitions: readonly TransitionLine[];
  /** SES v2 and Lambda ESM APIs served on this port; their mail is shown here. */
  readonly awsEndpoints: LocalAwsEndpoints;
  /** What the SPA is told in `config.json`. */
  readonly httpUrl: string;
  readonly webSocketUrl: string;
  /** Signs a local token (the SPA's user picker). */
  readonly signToken: (userId: string, admin: boolean) => Promise<string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Same rule as the HTTP API's user ids: what a local token may name. */
const LOCAL_USER_ID = /^[A-Za-z0-9._@-]{1,64}$/;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const depth = async (sqs: SQSClient, url: string) =>
  url ? queueDepth(sqs, url) : { waiting: 0, inFlight: 0, delayed: 0 };

/**
 * The dashboard SPA (built from `dashboard/` when missing or stale) with its `config.json`
 * and a local-only token endpoint for its user picker; the local cloud's own page (queue
 * depths, latest transitions, mail sink) at `/local/`; the local issuer's discovery
 * document and JWKS under `issuerPath`; the SES/Lambda/Secrets Manager stand-ins.
 */
export const startDashboard = async (options: DashboardOptions): Promise<Server> => {
  const issuerUrl = `http://127.0.0.1:${options.port}${options.issuerPath}`;
  const dist = ensureDashboardBuilt();
  const config = {
    httpUrl: options.httpUrl,
    webSocketUrl: options.webSocketUrl,
    signIn: { mode: 'local', tokenUrl: `http://127.0.0.1:${options.port}/local/token` },
  };
  // The deployed site's policy, with the local endpoints: the browser tests run under it.
  const contentSecurityPolicy = dashboardContentSecurityPolicy([
    new URL(options.httpUrl).origin,
    new URL(options.webSocketUrl).origin,
  ]);
  const sendFile = (response: import('node:http').ServerResponse, file: string) => {
    response.writeHead(200, {
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      // Hashed asset names change with their content; index.html must be re-read.
      'cache-control': file.includes(`${path.sep}assets${path.sep}`)
        ? 'max-age=31536000, immutable'
        : 'no-cache',
    });
    response.end(readFileSync(file));
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const sendJson = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    try {
      if (await options.awsEndpoints.handle(request, response)) return;
      if (url.pathname === '/api/mail')
        return sendJson(200, { mail: [...options.awsEndpoints.mail].reverse() });
      if (url.pathname === `${options.issuerPath}/.well-known/jwks.json`) {
        return sendJson(200, { keys: [options.publicJwk] });
      }
      if (url.pathname === `${options.issuerPath}/.well-known/openid-configuration`) {
        return sendJson(200, {
          issuer: issuerUrl,
          jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (url.pathname === '/config.json') return sendJson(200, config);
      if (url.pathname === '/local/token' && request.method === 'POST') {
        const body = JSON.parse((await readBody(request, 4096)).toString() || '{}') as {
          userId?: unknown;
          admin?: unknown;
        };
        if (typeof body.userId !== 'string' || !LOCAL_USER_ID.test(body.userId)) {
          return sendJson(400, {
            error: { code: 'VALIDATION_ERROR', message: 'userId must be 1–64 letters, digits or ._@-' },
          });
        }
        return sendJson(200, { token: await options.signToken(body.userId, body.admin === true) });
      }
      if (url.pathname === '/' || url.pathname === '/index.html')
        return sendFile(response, path.join(dist, 'index.html'));
      if (url.pathname.startsWith('/assets/')) {
        const file = path.join(dist, path.normalize(url.pathname).replace(/^([/\\])+/, ''));
        if (file.startsWith(path.join(dist, 'assets')) && existsSync(file)) return sendFile(response, file);
        return sendJson(404, { message: 'Not Found' });
      }
      const queues = await Promise.all(
        Object.entries(options.queues).map(async ([priority, queue]) => ({
          priority,
          ...(await depth(options.sqs, queue.url)),
          dlq: (await depth(options.sqs, queue.dlqUrl)).waiting,
        })),
      );
      if (url.pathname === '/api/summary') {
        return sendJson(200, { queues, transitions: [...options.transitions].reverse().slice(0, 100) });
      }
      if (url.pathname === '/local') {
        response.writeHead(301, { location: '/local/' });
        return response.end();
      }
      if (url.pathname !== '/local/') return sendJson(404, { message: 'Not Found' });
      const queueRows = queues
        .map(
          (queue) =>
            `<tr><td>${queue.priority}</td><td>${queue.waiting}</td><td>${queue.inFlight}</td><td>${queue.delayed}</td><td>${queue.dlq}</td></tr>`,
        )
        .join('');
      const mailRows = [...options.awsEndpoints.mail]
        .reverse()
        .slice(0, 50)
        .map(
          (mail) =>
            `<tr><td>${escapeHtml(mail.at)}</td><td>${escapeHtml(mail.to.join(', '))}</td><td>${escapeHtml(mail.subject ?? '')}</td><td>${escapeHtml((mail.text ?? '').slice(0, 200))}</td></tr>`,
        )
        .join('');
      const transitionRows = [...options.transitions]
        .reverse()
        .slice(0, 100)
        .map(
          (line) =>
            `<tr><td>${escapeHtml(line.at)}</td><td>${escapeHtml(line.jobId)}</td><td>${escapeHtml(line.type)}</td><td>${escapeHtml(line.priority)}</td><td>${escapeHtml(line.from)} → ${escapeHtml(line.to)}</td><td>${line.attempt}</td><td>${escapeHtml(line.error ?? '')}</td></tr>`,
        )
        .join('');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>jobqueue (local)</title><style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>jobqueue — local cloud</h1><p><a href="/">Dashboard</a></p><h2>Queues</h2><table><tr><th>priority</th><th>waiting</th><th>in flight</th><th>delayed</th><th>DLQ</th></tr>${queueRows}</table>
<h2>Latest transitions</h2><table><tr><th>at</th><th>job</th><th>type</th><th>priority</th><th>transition</th><th>attempt</th><th>error</th></tr>${transitionRows}</table>
<h2>Mail sink (SES)</h2><table><tr><th>at</th><th>to</th><th>subject</th><th>text</th></tr>${mailRows}</table></body></html>`);
    } catch (error) {
      sendJson(500, { message: (error as Error).message });
    }
  });
  await listen(server, options.port, 'dashboard and issuer');
  return server;
};
