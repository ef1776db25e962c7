// The reference users know: the bench's no-op workload on BullMQ + Redis, when `redis-server`
// is installed. The bench starts its own Redis (free loopback port, no persistence) and stops it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { latencyClass, percentile } from './percentiles';
import type { BullmqFigures } from './report';

export interface BullmqWorkload {
  readonly jobs: number;
  /** Jobs per `addBulk` call (the API's batch size). */
  readonly batchSize: number;
  /** `addBulk` calls in flight at once. */
  readonly parallel: number;
  /** The worker's concurrency. */
  readonly concurrency: number;
}

export interface BullmqRun {
  readonly figures: BullmqFigures;
  /** First add to the last completion, null when it did not run. */
  readonly jobsPerSec: number | null;
}

/** The path of `redis-server` on the PATH, if any. */
const findRedisServer = (): string | undefined => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

/** A port nothing listens on at the moment (the OS's pick). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const startRedis = async (
  binary: string,
  port: number,
): Promise<{ child: ChildProcess; version: string }> => {
  // No RDB snapshots, no AOF: nothing is written to disk and nothing outlives the run.
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Should the bench end (process.exit) before it stops Redis, Redis does not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const version = /v=(\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  // Ready when it answers; `--loglevel warning` keeps its banner out of the way.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output.slice(-500)}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1', () => {
        socket.write('PING\r\n');
        socket.once('data', (data: Buffer) => {
          socket.destroy();
          resolve(data.toString().startsWith('+PONG'));
        });
      });
    });
    if (answered) return { child, version };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port}: ${output.slice(-500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });

/**
 * Runs `workload` on BullMQ against a Redis of its own. Submit → start is a job's
 * `processedOn` (the worker took it) minus its `timestamp` (set as `addBulk` builds it; one
 * process, one clock); throughput runs from the first `addBulk` to the last completion.
 */
export const runBullmq = async (workload: BullmqWorkload, timeoutMs: number): Promise<BullmqRun> => {
  const binary = findRedisServer();
  if (!binary) {
    return {
      figures: {
        ran: false,
        reason: 'redis-server is not on the PATH (Debian: apt-get install redis-server)',
      },
      jobsPerSec: null,
    };
  }
  const port = await freePort();
  const { child, version } = await startRedis(binary, port);
  const connection = { host: '127.0.0.1', port };
  const queueName = 'bench-noop';
  const queue = new Queue(queueName, { connection });
  const runs = new Map<string, number>();
  const startLatency: number[] = [];
  let lastCompletion = 0;
  let completed = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  // Workers block on Redis: BullMQ requires maxRetriesPerRequest null on their connection.
  const worker = new Worker(
    queueName,
    async (job) => {
      runs.set(job.id ?? '', (runs.get(job.id ?? '') ?? 0) + 1);
      if (job.processedOn !== undefined) startLatency.push(job.processedOn - job.timestamp);
    },
    { connection: { ...connection, maxRetriesPerRequest: null }, concurrency: workload.concurrency },
  );
  worker.on('completed', (job) => {
    lastCompletion = Math.max(lastCompletion, job.finishedOn ?? Date.now());
    completed += 1;
    if (completed >= workload.jobs) allDone();
  });
  try {
    await worker.waitUntilReady();
    const batches: number[] = [];
    for (let submitted = 0; submitted < workload.jobs; submitted += workload.batchSize) {
      batches.push(Math.min(workload.batchSize, workload.jobs - submitted));
    }
    const acceptMs: number[] = [];
    const firstAdd = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: workload.parallel }, async () => {
        while (next < batches.length) {
          const count = batches[next++] as number;
          const started = performance.now();
          await queue.addBulk(
            Array.from({ length: count }, () => ({ name: 'system.simulate', data: { durationMs: 0 } })),
          );
          acceptMs.push(performance.now() - started);
        }
      }),
    );
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    const ranTwice = [...runs.values()].filter((count) => count > 1).length;
    return {
      figures: {
        ran: true,
        bullmqVersion: bullmqVersion(),
        redisVersion: version,
        jobs: workload.jobs,
        concurrency: workload.concurrency,
        lost: workload.jobs - completed,
        duplicates: ranTwice,
        submitToStartMs: latencyClass(startLatency),
        batchAcceptMs: {
          p50: Math.round(percentile(acceptMs, 50)),
          p95: Math.round(percentile(acceptMs, 95)),
        },
      },
      jobsPerSec: Math.round((completed * 1000) / Math.max(1, lastCompletion - firstAdd)),
    };
  } finally {
    await worker.close();
    await queue.close();
    await stopRedis(child);
  }
};

const bullmqVersion = (): string =>
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('bullmq/package.json'), 'utf8'))
    .version as string;
