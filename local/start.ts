// `npm start`: the whole stack on this machine. See README "Local cloud".
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, LocalCloud, type Ports } from './cloud';

const { values } = parseArgs({
  options: {
    persist: { type: 'boolean', default: false },
    'http-port': { type: 'string' },
    'ws-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'queues-port': { type: 'string' },
    'dashboard-port': { type: 'string' },
    'sweep-interval-ms': { type: 'string' },
    'worker-lease-seconds': { type: 'string' },
    /** More CDK context as a JSON object, over cdk.json's and the local cloud's (e.g. the tests' budgets). */
    context: { type: 'string' },
  },
});

const port = (flag: string | undefined, variable: string, fallback: number): number => {
  const text = flag ?? process.env[variable];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    process.stderr.write(`Invalid port ${JSON.stringify(text)} (${variable}).\n`);
    process.exit(2);
  }
  return value;
};

const ports: Ports = {
  http: port(values['http-port'], 'JOBQUEUE_HTTP_PORT', DEFAULT_PORTS.http),
  webSocket: port(values['ws-port'], 'JOBQUEUE_WS_PORT', DEFAULT_PORTS.webSocket),
  dynamodb: port(values['dynamodb-port'], 'JOBQUEUE_DYNAMODB_PORT', DEFAULT_PORTS.dynamodb),
  queues: port(values['queues-port'], 'JOBQUEUE_QUEUES_PORT', DEFAULT_PORTS.queues),
  dashboard: port(values['dashboard-port'], 'JOBQUEUE_DASHBOARD_PORT', DEFAULT_PORTS.dashboard),
};
const sweepText = values['sweep-interval-ms'] ?? process.env.JOBQUEUE_SWEEP_INTERVAL_MS;
const sweepMs = sweepText === undefined ? undefined : Number(sweepText);
// Synth checks the value (an integer from 3 to 300).
const leaseText = values['worker-lease-seconds'] ?? process.env.JOBQUEUE_WORKER_LEASE_SECONDS;

// Node 20 here; the SDK's notice about its future Node 22 requirement is noise in a dev tool.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let extraContext: Record<string, unknown> = {};
if (values.context !== undefined) {
  try {
    extraContext = JSON.parse(values.context);
  } catch {
    process.stderr.write(`--context must be a JSON object, got ${JSON.stringify(values.context)}.\n`);
    process.exit(2);
  }
}
const started = Date.now();
const cloud = new LocalCloud({
  ports,
  persist: values.persist,
  scheduleIntervalsMs: sweepMs ? { SchedulesSweepRule: sweepMs } : undefined,
  context: {
    ...extraContext,
    ...(leaseText === undefined ? {} : { 'jobqueue:workerLeaseSeconds': Number(leaseText) }),
  },
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: draining work in flight and stopping…\n`);
  await cloud.stop();
  process.stdout.write('Stopped.\n');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// `npm start` does not pass SIGTERM on to its script: if npm (our parent) goes away, so do we.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown('parent process gone');
}, 1000).unref();

try {
  const stack = await cloud.start();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      `jobqueue local cloud ready in ${seconds} s${values.persist ? ' (data kept in .local/data)' : ''}`,
      `  HTTP API    ${stack.httpUrl}`,
      `  WebSocket   ${stack.wsUrl}`,
      `  Dashboard   ${stack.dashboardUrl}`,
      `  DynamoDB    ${stack.endpoints.dynamodb}   SQS/S3 ${stack.endpoints.sqs}`,
      '  Written to .local/stack.json; tokens: npm run token -- <userId> [--admin]',
      '  Function logs in .local/logs/. Ctrl-C stops.',
      '',
    ].join('\n'),
  );
} catch (error) {
  process.stderr.write(`Could not start the local cloud: ${(error as Error).message}\n`);
  await cloud.stop();
  process.exit(1);
}
