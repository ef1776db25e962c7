// `npm run bench`: throughput and latency of no-op jobs through the local cloud.
// Starts its own local cloud on ports 4710–4714 (so a running `npm start` is untouched),
// submits JOBS system.simulate jobs with durationMs 0 in batches of 100, waits for all of
// them, and prints submit rate, completion rate and end-to-end latency percentiles.
// Numbers are for this machine and the local emulators; compare runs, not clouds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { LocalCloud } from '../local/cloud';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
// Set by `npm run bench` before any module reads it (paths.ts resolves it at import).
const LOCAL_DIR = process.env.JOBQUEUE_LOCAL_DIR ?? path.join('.local', 'bench');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const main = async () => {
  if (!process.env.JOBQUEUE_LOCAL_DIR)
    throw new Error('Run it as `npm run bench` (it sets JOBQUEUE_LOCAL_DIR).');
  rmSync(LOCAL_DIR, { recursive: true, force: true });
  mkdirSync(LOCAL_DIR, { recursive: true });
  const cloud = new LocalCloud({
    ports: { http: 4710, webSocket: 4711, dynamodb: 4712, queues: 4713, dashboard: 4714 },
    log: () => {},
  });
  const stack = await cloud.start();
  try {
    // The per-user limit (120 jobs/minute) applies here too: one user per batch of 100.
    const batches = Math.ceil(JOBS / 100);
    const tokens = Array.from({ length: batches }, (_, index) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'local/token.ts', `bench-user-${index}`])
        .toString()
        .trim(),
    );
    const headersOf = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });
    const jobs: { jobId: string; token: string }[] = [];
    const submitStarted = performance.now();
    for (const [index, token] of tokens.entries()) {
      const count = Math.min(100, JOBS - index * 100);
      const response = await fetch(`${stack.httpUrl}/v1/jobs/batch`, {
        method: 'POST',
        headers: headersOf(token),
        body: JSON.stringify({
          jobs: Array.from({ length: count }, () => ({
            type: 'system.simulate',
            payload: { durationMs: 0 },
          })),
        }),
      });
      if (response.status !== 202)
        throw new Error(`Batch refused: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { jobs: { jobId: string }[] };
      jobs.push(...body.jobs.map((job) => ({ jobId: job.jobId, token })));
    }
    const submitSeconds = (performance.now() - submitStarted) / 1000;

    const pending = new Map(jobs.map((job) => [job.jobId, job.token]));
    const latencies: number[] = [];
    const waits: number[] = [];
    while (pending.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const [jobId, token] of [...pending]) {
        const job = (await (
          await fetch(`${stack.httpUrl}/v1/jobs/${jobId}`, { headers: headersOf(token) })
        ).json()) as {
          status: string;
          createdAt: string;
          completedAt?: string;
          startedAt?: string;
        };
        if (job.status === 'completed' && job.completedAt) {
          pending.delete(jobId);
          latencies.push(Date.parse(job.completedAt) - Date.parse(job.createdAt));
          waits.push(Date.parse(job.startedAt ?? job.completedAt) - Date.parse(job.createdAt));
        } else if (job.status === 'failed' || job.status === 'cancelled') {
          throw new Error(`Job ${jobId} ended ${job.status}`);
        }
      }
    }
    latencies.sort((a, b) => a - b);
    waits.sort((a, b) => a - b);
    const makespan = latencies.at(-1) ?? 0;
    console.log(
      JSON.stringify(
        {
          jobs: JOBS,
          submitPerSecond: Math.round(JOBS / submitSeconds),
          completedPerSecond: Math.round((JOBS * 1000) / Math.max(makespan, 1)),
          latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: makespan },
          queueWaitMs: { p50: percentile(waits, 50), p95: percentile(waits, 95) },
        },
        null,
        2,
      ),
    );
  } finally {
    await cloud.stop();
  }
};

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
