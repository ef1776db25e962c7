// `npm run bench [-- --quick]`: what a no-op job costs and how fast the local cloud runs it.
// Starts its own metered local cloud on five free ports from 5600 up (a running `npm start`
// and the test clouds are untouched), measures idle traffic, then single submits, batches of
// 100 and batches watched by one WebSocket subscriber (the metered runs); then critical jobs
// under a flood of low ones, and the stats and list reads with a small and a large table;
// reads every job back (one `completed`, attempts 1, run once); turns the counted AWS
// requests into dollars per million jobs; runs the same workload on BullMQ when Redis is
// installed; writes docs/benchmarks.{md,json}.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import WebSocket from 'ws';
import { LocalCloud, type StackFile } from '../local/cloud';
import type { TransitionLine } from '../local/dashboard';
import { type LocalAuth, loadOrCreateKey, signToken } from '../local/issuer';
import { readTemplate, resourcesOfType } from '../local/template';
import type { UsageLine } from '../local/usage-ledger';
import { runBullmq } from './bullmq';
import { measureBundles } from './bundles';
import {
  displayName,
  type FunctionBilling,
  fixedMonthlyItems,
  floorPerMillion,
  type LineItem,
  lineItems,
  scaleUsage,
  usageBetween,
  withoutIdle,
} from './cost';
import { latencyClass, percentile } from './percentiles';
import { PRICES, SECONDS_PER_MONTH } from './prices';
import type { BenchReport, Percentiles } from './report';
import { writeReport } from './report';
import { seedJobs } from './seed';

const QUICK = process.argv.includes('--quick');
// The full idle window (5 minutes) takes in one analytics.rollup and five sweeps.
// The flood and the large table are scaled down in quick mode; the report says so.
const FULL = {
  batchJobs: 10_000,
  costBatchJobs: 2_000,
  singleJobs: 1_000,
  subscribedJobs: 100,
  idleSeconds: 300,
  latencyJobs: 50,
  floodJobs: 5_000,
  smallTableUserJobs: 100,
  largeTableJobs: 100_000,
  readRequests: 30,
  fixedRateSeconds: 30,
};
const SIZES: typeof FULL = QUICK
  ? {
      batchJobs: 300,
      costBatchJobs: 200,
      singleJobs: 40,
      subscribedJobs: 100,
      idleSeconds: 5,
      latencyJobs: 10,
      floodJobs: 500,
      smallTableUserJobs: 100,
      largeTableJobs: 2_000,
      readRequests: 30,
      fixedRateSeconds: 5,
    }
  : FULL;
/** The offered load at which submit → start p95 is measured (issue #10: ≤ 2 s at 200 jobs/s). */
const FIXED_RATE = { jobsPerSecond: 200, batchSize: 20 };
/** Where the bench looks for five free ports in a row (the test clouds use 4610–5120). */
const PORT_BASE = 5600;
/** A critical job is submitted this often while the flood runs. */
const PROBE_INTERVAL_MS = 500;
const LOCAL_DIR = process.env.JOBQUEUE_LOCAL_DIR ?? path.join('.local', 'bench');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
/** The per-user limit is 120 jobs a minute: the bench spreads jobs over users, 100 each. */
const JOBS_PER_USER = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** The first base from `from` up (in steps of 10) whose five ports are free now. */
const freePortBase = async (from: number): Promise<number> => {
  for (let base = from; base < from + 1000; base += 10) {
    const free = await Promise.all([0, 1, 2, 3, 4].map((offset) => portIsFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`No five free ports in a row between ${from} and ${from + 1000}`);
};

interface JobRecord {
  readonly status: string;
  readonly attempts: number;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
}

interface Scenario {
  readonly jobs: number;
  readonly seconds: number;
  readonly usage: UsageLine[];
  readonly records: JobRecord[];
  readonly acceptMs: number[];
  readonly lost: number;
  readonly duplicates: number;
}

const main = async () => {
  if (!process.env.JOBQUEUE_LOCAL_DIR)
    throw new Error('Run it as `npm run bench` (it sets JOBQUEUE_LOCAL_DIR).');
  rmSync(LOCAL_DIR, { recursive: true, force: true });
  mkdirSync(LOCAL_DIR, { recursive: true });
  const base = await freePortBase(PORT_BASE);
  progress(`local cloud on ports ${base}–${base + 4}`);
  // Two clouds in turn on the same ports: a metered one for what costs are made of (idle,
  // paced runs, subscribed, reads), then a fresh unmetered one for speed (throughput, a
  // fixed offered rate, the flood). The meter proxies every AWS call through the local
  // cloud's main thread, which under load is the machine's scarcest resource.
  let cloud!: LocalCloud;
  let stack!: StackFile;
  let table!: DynamoDBClient;
  const seen = new Map<string, TransitionLine[]>();
  const startCloud = async (meter: boolean) => {
    cloud = new LocalCloud({
      ports: { http: base, webSocket: base + 1, dynamodb: base + 2, queues: base + 3, dashboard: base + 4 },
      log: () => {},
      meter,
    });
    stack = await cloud.start();
    table = new DynamoDBClient({
      region: stack.region,
      endpoint: stack.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Every job's status changes, from the table's stream: no extra request to learn them.
    cloud.transitionListeners.add((line) => {
      const lines = seen.get(line.jobId) ?? [];
      lines.push(line);
      seen.set(line.jobId, lines);
    });
  };
  await startCloud(true);
  const template = readTemplate(path.join('cdk.out', 'JobQueue.template.json'));
  const functions = new Map<string, FunctionBilling>(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => [
      id,
      {
        memoryMb: Number(fn.Properties?.MemorySize ?? 128),
        arm64: (fn.Properties?.Architectures ?? []).includes('arm64'),
        traceShare: fn.Properties?.TracingConfig?.Mode === 'Active' ? 1 : 0,
        platformLines: !['WARN', 'ERROR', 'FATAL'].includes(
          String(fn.Properties?.LoggingConfig?.SystemLogLevel ?? 'INFO'),
        ),
      },
    ]),
  );
  const memoryOf = (prefix: string) =>
    [...functions.entries()].find(([id]) => id.startsWith(prefix))?.[1].memoryMb ?? 128;
  const auth: LocalAuth = JSON.parse(readFileSync(path.join(LOCAL_DIR, 'auth.json'), 'utf8'));
  const { privateJwk } = await loadOrCreateKey(LOCAL_DIR);
  let users = 0;
  const newUserToken = () => {
    users += 1;
    return signToken(privateJwk, auth, `bench-user-${users}`);
  };

  const finished = (jobId: string) =>
    seen.get(jobId)?.some((line) => ['completed', 'failed', 'cancelled'].includes(line.to)) ?? false;
  const waitFor = async (jobIds: readonly string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (jobIds.some((jobId) => !finished(jobId))) {
      if (Date.now() > deadline) return;
      await sleep(50);
    }
  };
  const readBack = async (jobIds: readonly string[]): Promise<Map<string, JobRecord>> => {
    const records = new Map<string, JobRecord>();
    for (let start = 0; start < jobIds.length; start += 100) {
      let keys = jobIds
        .slice(start, start + 100)
        .map((jobId) => ({ PK: { S: `JOB#${jobId}` }, SK: { S: 'JOB' } }));
      while (keys.length > 0) {
        const answer = await table.send(
          new BatchGetItemCommand({
            RequestItems: { [stack.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of answer.Responses?.[stack.tableName] ?? []) {
          const job = unmarshall(item);
          records.set(String(job.jobId), job as unknown as JobRecord);
        }
        keys = (answer.UnprocessedKeys?.[stack.tableName]?.Keys ?? []) as typeof keys;
      }
    }
    return records;
  };

  const post = async (token: string, route: string, body: unknown) => {
    const started = performance.now();
    const response = await fetch(`${stack.httpUrl}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`${route} refused: ${response.status} ${text}`);
    return { body: JSON.parse(text), ms: performance.now() - started };
  };
  const get = async (token: string, route: string) => {
    const started = performance.now();
    const response = await fetch(`${stack.httpUrl}${route}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${route} refused: ${response.status} ${text}`);
    return performance.now() - started;
  };
  /** Client-side latency of `route`, one untimed request first (a cold API environment is not the figure). */
  const timeReads = async (token: string, route: string): Promise<Percentiles> => {
    await get(token, route);
    const times: number[] = [];
    for (let request = 0; request < SIZES.readRequests; request += 1) times.push(await get(token, route));
    return { p50: Math.round(percentile(times, 50)), p95: Math.round(percentile(times, 95)) };
  };
  /** Waits until the stream has delivered every one of `jobIds` (their inserts reached the consumers). */
  const waitSeen = async (jobIds: readonly string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (jobIds.some((jobId) => !seen.has(jobId))) {
      if (Date.now() > deadline) throw new Error('The stream did not deliver the seeded jobs in time');
      await sleep(500);
    }
    // Let the consumers' last batches (statistics, notifications) land.
    await sleep(1500);
  };
  /** Seeds finished jobs for `owners` outside the meter and waits for the stream to take them in. */
  const seed = async (owners: { userId: string; jobs: number }[]) => {
    const total = owners.reduce((sum, owner) => sum + owner.jobs, 0);
    const jobIds = await seedJobs(table, stack.tableName, owners, 20, (written) =>
      progress(`  seeded ${written} of ${total}`),
    );
    await waitSeen(jobIds, 1_800_000);
    return jobIds;
  };
  const tokenFor = (userId: string) => signToken(privateJwk, auth, userId);
  /** Every job in the table so far: each insert passed through the stream. */
  const tableJobs = () => seen.size;

  /** Reads `jobIds` back: lost (not `completed`) and run more than once (two starts or attempts > 1). */
  const verify = async (jobIds: readonly string[]) => {
    const records = await readBack(jobIds);
    const lost = jobIds.filter((jobId) => records.get(jobId)?.status !== 'completed').length;
    const duplicates = jobIds.filter((jobId) => {
      const runs = (seen.get(jobId) ?? []).filter((line) => line.to === 'processing').length;
      return runs > 1 || (records.get(jobId)?.attempts ?? 0) > 1;
    }).length;
    return { records, lost, duplicates };
  };
  const noop = { type: 'system.simulate', payload: { durationMs: 0 } };

  /** Submits `jobs` no-op jobs (alone or in batches of 100, `parallel` requests at once), waits for them, books the usage. */
  const runScenario = async (
    jobs: number,
    mode: 'single' | 'batch',
    parallel: number,
    idlePerSecond: UsageLine[],
    tokens?: string[],
    /** Wait for each request's jobs to start before sending the next (no queueing, uncontended durations). */
    paced = false,
  ): Promise<Scenario> => {
    const userTokens =
      tokens ?? (await Promise.all(Array.from({ length: Math.ceil(jobs / JOBS_PER_USER) }, newUserToken)));
    const requests: { token: string; count: number }[] = [];
    for (let submitted = 0, user = 0; submitted < jobs; user += 1) {
      const token = userTokens[user % userTokens.length] as string;
      const forUser = Math.min(JOBS_PER_USER, jobs - submitted);
      if (mode === 'batch') requests.push({ token, count: forUser });
      else for (let index = 0; index < forUser; index += 1) requests.push({ token, count: 1 });
      submitted += forUser;
    }
    const before = cloud.usage.snapshot();
    const started = performance.now();
    const jobIds: string[] = [];
    const acceptMs: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < requests.length) {
          const request = requests[next++] as { token: string; count: number };
          const accepted: string[] = [];
          if (mode === 'single') {
            const { body, ms } = await post(request.token, '/v1/jobs', noop);
            accepted.push(body.jobId);
            acceptMs.push(ms);
          } else {
            const { body, ms } = await post(request.token, '/v1/jobs/batch', {
              jobs: Array.from({ length: request.count }, () => noop),
            });
            accepted.push(...body.jobs.map((job: { jobId: string }) => job.jobId));
            acceptMs.push(ms);
          }
          jobIds.push(...accepted);
          if (paced) await waitFor(accepted, 120_000);
        }
      }),
    );
    await waitFor(jobIds, 600_000);
    // Let the last stream batches (stats, notifications) land before counting.
    await sleep(1500);
    const seconds = (performance.now() - started) / 1000;
    const after = cloud.usage.snapshot();
    const usage = withoutIdle(usageBetween(before, after), idlePerSecond, seconds);
    const { records, lost, duplicates } = await verify(jobIds);
    return { jobs, seconds, usage, records: [...records.values()], acceptMs, lost, duplicates };
  };

  /** A batch through every hot function, so cold starts are not in the figures. */
  const warmUp = async (token: string) => {
    progress('warming up');
    const warm = await post(token, '/v1/jobs/batch', { jobs: Array.from({ length: 20 }, () => noop) });
    await waitFor(
      warm.body.jobs.map((job: { jobId: string }) => job.jobId),
      60_000,
    );
    await sleep(2000);
  };
  const warmToken = await newUserToken();
  await warmUp(warmToken);

  progress(`idle for ${SIZES.idleSeconds} s`);
  cloud.usage.reset();
  await sleep(SIZES.idleSeconds * 1000);
  const idlePerSecond = cloud.usage.snapshot().map((line) => scaleUsage(line, 1 / SIZES.idleSeconds));

  // After the idle window and before the metered runs, so neither books the seeding's stream traffic.
  progress(`stats and list reads, ${SIZES.smallTableUserJobs} jobs of one user in the table`);
  const smallUser = 'bench-reads-small';
  await seed([{ userId: smallUser, jobs: SIZES.smallTableUserJobs }]);
  const smallToken = await tokenFor(smallUser);
  const smallTable = { tableJobs: tableJobs(), userJobs: SIZES.smallTableUserJobs };
  const smallReads = {
    stats: await timeReads(smallToken, '/v1/stats'),
    list: await timeReads(smallToken, '/v1/jobs'),
  };

  progress(`${SIZES.latencyJobs} jobs one at a time (idle latency)`);
  const idleLatency: number[] = [];
  for (let index = 0; index < SIZES.latencyJobs; index += 1) {
    const { body } = await post(warmToken, '/v1/jobs', { ...noop, priority: 'critical' });
    await waitFor([body.jobId], 30_000);
    const record = (await readBack([body.jobId])).get(body.jobId);
    if (record?.startedAt) idleLatency.push(Date.parse(record.startedAt) - Date.parse(record.createdAt));
    await sleep(200);
  }

  /**
   * Jobs offered at a fixed rate for `seconds`: a batch of FIXED_RATE.batchSize every
   * batchSize / rate seconds, open loop (each request leaves on schedule whether or not the
   * previous ones were accepted), each user taking at most JOBS_PER_USER jobs.
   */
  const runFixedRate = async (jobsPerSecond: number, seconds: number) => {
    const { batchSize } = FIXED_RATE;
    const intervalMs = (1000 * batchSize) / jobsPerSecond;
    const batches = Math.round((seconds * jobsPerSecond) / batchSize);
    const batchesPerUser = Math.floor(JOBS_PER_USER / batchSize);
    const tokens = await Promise.all(
      Array.from({ length: Math.ceil(batches / batchesPerUser) }, newUserToken),
    );
    const jobIds: string[] = [];
    const acceptMs: number[] = [];
    const requests: Promise<void>[] = [];
    const started = performance.now();
    for (let index = 0; index < batches; index += 1) {
      await sleep(Math.max(0, started + index * intervalMs - performance.now()));
      requests.push(
        post(tokens[Math.floor(index / batchesPerUser)] as string, '/v1/jobs/batch', {
          jobs: Array.from({ length: batchSize }, () => noop),
        }).then(({ body, ms }) => {
          jobIds.push(...body.jobs.map((job: { jobId: string }) => job.jobId));
          acceptMs.push(ms);
        }),
      );
    }
    await Promise.all(requests);
    const offeredSeconds = (performance.now() - started) / 1000;
    await waitFor(jobIds, 600_000);
    const { records, lost, duplicates } = await verify(jobIds);
    const starts = [...records.values()]
      .filter((record) => record.startedAt)
      .map((record) => Date.parse(record.startedAt as string) - Date.parse(record.createdAt));
    return {
      offeredJobsPerSec: jobsPerSecond,
      achievedOfferJobsPerSec: Math.round(jobIds.length / offeredSeconds),
      jobs: jobIds.length,
      seconds,
      batchSize,
      acceptMs: { p50: Math.round(percentile(acceptMs, 50)), p95: Math.round(percentile(acceptMs, 95)) },
      submitToStartMs: latencyClass(starts),
      lost,
      duplicates,
    };
  };

  /**
   * Low-priority jobs in batches of 100 (four requests in flight, each sent once one is
   * accepted) while a critical job is submitted every PROBE_INTERVAL_MS, from the first
   * accepted batch until the flood's last job has started.
   */
  const runFlood = async () => {
    const floodTokens = await Promise.all(
      Array.from({ length: Math.ceil(SIZES.floodJobs / JOBS_PER_USER) }, newUserToken),
    );
    // Four users keep the probes (two a second) far below the per-user rate limit of 120 a minute.
    const probeTokens = await Promise.all(Array.from({ length: 4 }, newUserToken));
    const floodIds: string[] = [];
    const probeIds: string[] = [];
    const low = { ...noop, priority: 'low' };
    let firstAccepted = () => {};
    const accepted = new Promise<void>((resolve) => {
      firstAccepted = resolve;
    });
    let submitting = true;
    let next = 0;
    const submitted = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < floodTokens.length) {
          const index = next++;
          const count = Math.min(JOBS_PER_USER, SIZES.floodJobs - index * JOBS_PER_USER);
          const { body } = await post(floodTokens[index] as string, '/v1/jobs/batch', {
            jobs: Array.from({ length: count }, () => low),
          });
          floodIds.push(...body.jobs.map((job: { jobId: string }) => job.jobId));
          firstAccepted();
        }
      }),
    ).finally(() => {
      submitting = false;
    });
    const started = (jobId: string) => seen.get(jobId)?.some((line) => line.to === 'processing') ?? false;
    await accepted;
    const deadline = Date.now() + 900_000;
    // On a fixed schedule, not one after another: a slow accept under the flood must not
    // thin the probes out.
    const probes: Promise<void>[] = [];
    while ((submitting || floodIds.some((jobId) => !started(jobId))) && Date.now() < deadline) {
      const token = probeTokens[probes.length % probeTokens.length] as string;
      probes.push(
        post(token, '/v1/jobs', { ...noop, priority: 'critical' }).then(({ body }) => {
          probeIds.push(body.jobId);
        }),
      );
      await sleep(PROBE_INTERVAL_MS);
    }
    await Promise.all([submitted, ...probes]);
    await waitFor([...floodIds, ...probeIds], 600_000);
    const floodRun = await verify(floodIds);
    const probeRun = await verify(probeIds);
    const startOf = (records: Map<string, JobRecord>) =>
      [...records.values()]
        .filter((record) => record.startedAt)
        .map((record) => Date.parse(record.startedAt as string) - Date.parse(record.createdAt));
    const floodRecords = [...floodRun.records.values()];
    const lastStart = Math.max(
      ...floodRecords.map((record) => Date.parse(record.startedAt ?? record.createdAt)),
    );
    const firstCreated = Math.min(...floodRecords.map((record) => Date.parse(record.createdAt)));
    return {
      low: latencyClass(startOf(floodRun.records)),
      critical: latencyClass(startOf(probeRun.records)),
      lowJobs: floodIds.length,
      criticalJobs: probeIds.length,
      seconds: Math.round((lastStart - firstCreated) / 100) / 10,
      lost: floodRun.lost + probeRun.lost,
      duplicates: floodRun.duplicates + probeRun.duplicates,
    };
  };

  // Cost runs: one request at a time, each waited for, so every invocation's duration is
  // the uncontended one a job pays in AWS rather than this 2-core machine's queueing under
  // load. (The speed runs come later, on an unmetered cloud, and are not costed.)
  progress(`${SIZES.singleJobs} jobs submitted alone, one at a time`);
  const single = await runScenario(SIZES.singleJobs, 'single', 1, idlePerSecond, undefined, true);
  progress(`${SIZES.costBatchJobs} jobs in batches of 100, one batch at a time`);
  const costBatch = await runScenario(SIZES.costBatchJobs, 'batch', 1, idlePerSecond, undefined, true);
  progress(`${SIZES.subscribedJobs} jobs in batches of 100, one WebSocket subscriber`);
  const watcherToken = await newUserToken();
  const socket = new WebSocket(`${stack.wsUrl}?token=${watcherToken}`);
  let framesReceived = 0;
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('message', () => {
    framesReceived += 1;
  });
  socket.send(JSON.stringify({ action: 'subscribe' }));
  await sleep(500);
  // One user: the subscriber watches all of its own jobs.
  const subscribedTokens = [watcherToken];
  // One user (the per-user rate limit caps it at 120 jobs a minute): 100 jobs at most.
  const subscribed = await runScenario(
    Math.min(SIZES.subscribedJobs, JOBS_PER_USER),
    'batch',
    1,
    idlePerSecond,
    subscribedTokens,
    true,
  );
  socket.close();

  // The large table: the measuring user holds a quarter of it, nine others the rest.
  const largeUser = 'bench-reads-large';
  const largeUserJobs = Math.floor(SIZES.largeTableJobs / 4);
  const othersJobs = Math.max(0, SIZES.largeTableJobs - tableJobs() - largeUserJobs);
  progress(`seeding the table up to ${SIZES.largeTableJobs} jobs (JobStore.create, 20 at once)`);
  await seed([
    { userId: largeUser, jobs: largeUserJobs },
    ...Array.from({ length: 9 }, (_, index) => ({
      userId: `bench-reads-other-${index + 1}`,
      jobs: Math.floor(othersJobs / 9) + (index < othersJobs % 9 ? 1 : 0),
    })),
  ]);
  const largeTable = { tableJobs: tableJobs(), userJobs: largeUserJobs };
  progress(`stats and list reads, ${largeTable.tableJobs} jobs in the table`);
  const largeToken = await tokenFor(largeUser);
  const largeReads = {
    stats: await timeReads(largeToken, '/v1/stats'),
    list: await timeReads(largeToken, '/v1/jobs'),
  };
  await cloud.stop();

  progress('a fresh local cloud without the request meter, for speed');
  await startCloud(false);
  await warmUp(await newUserToken());
  progress(`${SIZES.batchJobs} jobs in batches of 100, 4 requests at once (throughput)`);
  const batch = await runScenario(SIZES.batchJobs, 'batch', 4, []);
  progress(
    `${FIXED_RATE.jobsPerSecond} jobs/s offered for ${SIZES.fixedRateSeconds} s (batches of ${FIXED_RATE.batchSize})`,
  );
  const fixedRate = await runFixedRate(FIXED_RATE.jobsPerSecond, SIZES.fixedRateSeconds);
  progress(`${SIZES.floodJobs} low-priority jobs flooding, a critical one every ${PROBE_INTERVAL_MS} ms`);
  const flood = await runFlood();
  await cloud.stop();

  const workerMapping = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(([, mapping]) =>
    JSON.stringify(mapping.Properties?.FunctionName).includes('NormalWorker'),
  )?.[1];
  // The normal workers' environments (the mapping's maximum concurrency, as many as the local
  // host runs at once) × messages per invocation, processed in parallel.
  const bullmqConcurrency =
    Math.min(
      Number(workerMapping?.Properties?.ScalingConfig?.MaximumConcurrency ?? 10),
      Number(process.env.JOBQUEUE_MAX_ENVIRONMENTS) || 10,
    ) * Number(workerMapping?.Properties?.BatchSize ?? 10);
  progress(`${SIZES.batchJobs} jobs on BullMQ (batches of 100, worker concurrency ${bullmqConcurrency})`);
  const bullmq = await runBullmq(
    { jobs: SIZES.batchJobs, batchSize: 100, parallel: 4, concurrency: bullmqConcurrency },
    600_000,
  );
  if (!bullmq.figures.ran) progress(`BullMQ not run: ${bullmq.figures.reason}`);

  progress('bundling every function (cdk synth) and timing its module init');
  const bundles = measureBundles(cloud.functionEnvironments, QUICK ? 1 : 5);

  const idleMonthUsage = idlePerSecond
    // The local pollers are not AWS's: their empty receives are replaced by the model below.
    .filter((line) => !(line.caller === 'EventSourceMapping' && line.service === 'sqs'))
    .map((line) => scaleUsage(line, SECONDS_PER_MONTH));
  const idleItems: LineItem[] = lineItems(idleMonthUsage, 1e6, functions);
  const fixed = fixedMonthlyItems(template);
  const idleMonth = [
    ...idleItems.map((item) => ({ item: item.item, usd: item.usdPerMillionJobs })),
    ...fixed,
  ].sort((a, b) => b.usd - a.usd);

  const totalOf = (items: readonly LineItem[]) =>
    items.reduce((sum, item) => sum + item.usdPerMillionJobs, 0);
  const costItems = {
    single: lineItems(single.usage, single.jobs, functions),
    batch: lineItems(costBatch.usage, costBatch.jobs, functions),
    subscribed: lineItems(subscribed.usage, subscribed.jobs, functions),
  };
  const startLatency = (scenario: Scenario) =>
    scenario.records
      .filter((record) => record.startedAt)
      .map((record) => Date.parse(record.startedAt as string) - Date.parse(record.createdAt));
  const completions = batch.records
    .filter((record) => record.completedAt)
    .map((record) => Date.parse(record.completedAt as string));
  const firstCreated = Math.min(...batch.records.map((record) => Date.parse(record.createdAt)));
  const batchStart = startLatency(batch);
  const priorityLatencyMs = {
    criticalIdle: latencyClass(idleLatency),
    criticalUnderFlood: flood.critical,
    lowUnderFlood: flood.low,
    normalSingle: latencyClass(startLatency(single)),
    normalBatch: latencyClass(batchStart),
  };
  const report: BenchReport = {
    machine: machineLine(),
    date: new Date().toISOString(),
    quick: QUICK,
    jobs: batch.jobs,
    lost: batch.lost + costBatch.lost + single.lost + subscribed.lost + flood.lost + fixedRate.lost,
    duplicates:
      batch.duplicates +
      costBatch.duplicates +
      single.duplicates +
      subscribed.duplicates +
      flood.duplicates +
      fixedRate.duplicates,
    throughputJobsPerSec: Math.round(
      (batch.jobs * 1000) / Math.max(1, Math.max(...completions) - firstCreated),
    ),
    batchAcceptMs: {
      p50: Math.round(percentile(batch.acceptMs, 50)),
      p95: Math.round(percentile(batch.acceptMs, 95)),
    },
    batchAcceptIdleMs: {
      p50: Math.round(percentile(costBatch.acceptMs, 50)),
      p95: Math.round(percentile(costBatch.acceptMs, 95)),
    },
    singleAcceptMs: {
      p50: Math.round(percentile(single.acceptMs, 50)),
      p95: Math.round(percentile(single.acceptMs, 95)),
    },
    submitToStartMs: {
      p50: percentile(batchStart, 50),
      p95: percentile(batchStart, 95),
      p99: percentile(batchStart, 99),
    },
    fixedRate: {
      offeredJobsPerSec: fixedRate.offeredJobsPerSec,
      achievedOfferJobsPerSec: fixedRate.achievedOfferJobsPerSec,
      jobs: fixedRate.jobs,
      seconds: fixedRate.seconds,
      batchSize: fixedRate.batchSize,
      acceptMs: fixedRate.acceptMs,
      submitToStartMs: fixedRate.submitToStartMs,
    },
    idleSubmitToStartMs: { p50: percentile(idleLatency, 50), p95: percentile(idleLatency, 95) },
    criticalIdleP95Ms: priorityLatencyMs.criticalIdle.p95,
    criticalUnderFloodP95Ms: priorityLatencyMs.criticalUnderFlood.p95,
    priorityLatencyMs,
    flood: {
      lowJobs: flood.lowJobs,
      criticalJobs: flood.criticalJobs,
      seconds: flood.seconds,
      ...(QUICK
        ? {
            note: `Quick run: ${flood.lowJobs} low-priority jobs instead of ${FULL.floodJobs.toLocaleString('en')}`,
          }
        : {}),
    },
    statsLatencyMs: { small: smallReads.stats, large: largeReads.stats },
    listLatencyMs: { small: smallReads.list, large: largeReads.list },
    readLatencySetup: {
      requests: SIZES.readRequests,
      small: smallTable,
      large: largeTable,
      ...(QUICK
        ? {
            note: `Quick run: a large table of ${SIZES.largeTableJobs.toLocaleString('en')} jobs instead of ${FULL.largeTableJobs.toLocaleString('en')}`,
          }
        : {}),
    },
    bullmqJobsPerSec: bullmq.jobsPerSec,
    bullmq: bullmq.figures,
    costPerMillionUsd: {
      single: round2(totalOf(costItems.single)),
      batch: round2(totalOf(costItems.batch)),
      subscribed: round2(totalOf(costItems.subscribed)),
    },
    floorPerMillionUsd: round2(floorPerMillion(memoryOf('ApiHandler'), memoryOf('WorkersNormal'))),
    idleUsdPerMonth: round2(idleMonth.reduce((sum, item) => sum + item.usd, 0)),
    lineItems: costItems,
    idleLineItems: idleMonth.map((item) => ({ ...item, usd: round2(item.usd) })),
    requestsPerJob: {
      single: requestsPerJob(single),
      batch: requestsPerJob(costBatch),
      subscribed: requestsPerJob(subscribed),
    },
    framesReceived,
    bundleBytes: Object.fromEntries(Object.entries(bundles).map(([name, figures]) => [name, figures.bytes])),
    bundles,
    prices: { date: PRICES.date, region: PRICES.region },
  };
  writeReport(report);
  console.log(JSON.stringify({ ...report, lineItems: undefined, requestsPerJob: undefined }, null, 2));
  if (bullmq.figures.ran && (bullmq.figures.lost > 0 || bullmq.figures.duplicates > 0)) {
    progress(`BullMQ: ${bullmq.figures.lost} jobs lost, ${bullmq.figures.duplicates} run more than once`);
  }
  if (report.lost > 0 || report.duplicates > 0) {
    throw new Error(`${report.lost} jobs lost, ${report.duplicates} run more than once`);
  }
};

const round2 = (value: number) => Math.round(value * 100) / 100;

/** AWS requests per job by caller, service and operation (the wire count of the issue). */
const requestsPerJob = (scenario: Scenario) =>
  scenario.usage
    .filter((line) => line.requests > 0 && !['logs', 'lambda'].includes(line.service))
    .map((line) => ({
      caller: displayName(line.caller),
      service: line.service,
      operation: line.operation,
      perJob: Math.round((line.requests / scenario.jobs) * 1000) / 1000,
      writeUnitsPerJob: Math.round((line.writeUnits / scenario.jobs) * 1000) / 1000,
    }))
    .sort((a, b) => b.perJob - a.perJob);

const machineLine = () =>
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
