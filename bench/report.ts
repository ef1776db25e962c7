import { mkdirSync, writeFileSync } from 'node:fs';
import type { BundleFigures } from './bundles';
import type { LineItem } from './cost';
import { PLATFORM_LOG_BYTES_PER_INVOCATION } from './prices';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99?: number;
}

export interface RequestsPerJob {
  readonly caller: string;
  readonly service: string;
  readonly operation: string;
  readonly perJob: number;
  readonly writeUnitsPerJob: number;
}

/** Submit → start of one class of jobs: the job's own `startedAt` minus its `createdAt` (the accept). */
export interface LatencyClass {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Jobs measured. */
  readonly count: number;
}

/** Submit → start per priority and load, the rows of the latency plot. */
export interface PriorityLatency {
  /** Critical jobs one at a time on an idle stack. */
  readonly criticalIdle: LatencyClass;
  /** Critical jobs submitted every half second while the low-priority flood runs. */
  readonly criticalUnderFlood: LatencyClass;
  /** The flood's own low-priority jobs. */
  readonly lowUnderFlood: LatencyClass;
  /** Normal-priority jobs submitted alone (8 requests at once). */
  readonly normalSingle: LatencyClass;
  /** Normal-priority jobs in batches of 100 (the throughput run). */
  readonly normalBatch: LatencyClass;
}

export interface FloodFigures {
  /** Low-priority no-op jobs submitted in batches of 100, as fast as they were accepted. */
  readonly lowJobs: number;
  readonly criticalJobs: number;
  /** First flood submit to the start of its last job. */
  readonly seconds: number;
  /** Set when the run was scaled down (`--quick`), saying from what. */
  readonly note?: string;
}

/** GET latency (ms, measured at the client) with a small and a large job table. */
export interface ReadLatency {
  readonly small: Percentiles;
  readonly large: Percentiles;
}

export interface ReadLatencySetup {
  /** Requests timed for each figure, after one untimed warm-up request. */
  readonly requests: number;
  /** Jobs in the table, and of the measuring user, when each was measured. */
  readonly small: { readonly tableJobs: number; readonly userJobs: number };
  readonly large: { readonly tableJobs: number; readonly userJobs: number };
  readonly note?: string;
}

/** The same no-op workload on BullMQ + Redis, run by the bench when `redis-server` is installed. */
export type BullmqFigures =
  | {
      readonly ran: true;
      readonly bullmqVersion: string;
      readonly redisVersion: string;
      readonly jobs: number;
      readonly concurrency: number;
      readonly lost: number;
      readonly duplicates: number;
      readonly submitToStartMs: LatencyClass;
      readonly batchAcceptMs: Percentiles;
    }
  | { readonly ran: false; readonly reason: string };

export interface BenchReport {
  readonly machine: string;
  readonly date: string;
  /** `--quick`: a smoke run with small counts, not figures to publish. */
  readonly quick: boolean;
  readonly jobs: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly throughputJobsPerSec: number;
  /** Batches of 100 during the throughput run (four requests at once, the machine saturated). */
  readonly batchAcceptMs: Percentiles;
  /** Batches of 100 sent one at a time (the paced cost run). */
  readonly batchAcceptIdleMs: Percentiles;
  readonly singleAcceptMs: Percentiles;
  /** Jobs offered at a fixed rate (open loop), on the unmetered cloud. */
  readonly fixedRate: {
    readonly offeredJobsPerSec: number;
    /** What the sender managed (below the offer if the machine could not even send that fast). */
    readonly achievedOfferJobsPerSec: number;
    readonly jobs: number;
    readonly seconds: number;
    readonly batchSize: number;
    readonly acceptMs: Percentiles;
    readonly submitToStartMs: LatencyClass;
  };
  readonly submitToStartMs: Percentiles;
  readonly idleSubmitToStartMs: Percentiles;
  /** p95 of `priorityLatencyMs.criticalIdle`. */
  readonly criticalIdleP95Ms: number;
  /** p95 of `priorityLatencyMs.criticalUnderFlood`: priority isolation as a number. */
  readonly criticalUnderFloodP95Ms: number;
  readonly priorityLatencyMs: PriorityLatency;
  readonly flood: FloodFigures;
  readonly statsLatencyMs: ReadLatency;
  readonly listLatencyMs: ReadLatency;
  readonly readLatencySetup: ReadLatencySetup;
  /** BullMQ's throughput on the same workload, null when it did not run (see `bullmq.reason`). */
  readonly bullmqJobsPerSec: number | null;
  readonly bullmq: BullmqFigures;
  readonly costPerMillionUsd: {
    readonly single: number;
    readonly batch: number;
    readonly subscribed: number;
  };
  /** The flat-out throughput run costed with the durations it measured under load. */
  readonly costUnderLoadPerMillionUsd?: { readonly batch: number; readonly note: string };
  readonly floorPerMillionUsd: number;
  readonly idleUsdPerMonth: number;
  readonly lineItems: Readonly<Record<'single' | 'batch' | 'subscribed', readonly LineItem[]>>;
  readonly idleLineItems: readonly { readonly item: string; readonly usd: number }[];
  readonly requestsPerJob: Readonly<Record<'single' | 'batch' | 'subscribed', readonly RequestsPerJob[]>>;
  readonly framesReceived: number;
  /** Code bytes of each function's bundle, source maps apart. */
  readonly bundleBytes: Readonly<Record<string, number>>;
  readonly bundles: Readonly<Record<string, BundleFigures>>;
  readonly prices: { readonly date: string; readonly region: string };
}

const kilobytes = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const money = (usd: number) => `$${usd.toFixed(usd < 0.1 ? 3 : 2)}`;
const units = (value: number) =>
  value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);

const costTable = (items: readonly LineItem[]) => {
  const total = items.reduce((sum, item) => sum + item.usdPerMillionJobs, 0);
  return [
    '| line item | units per job | $ per million jobs |',
    '|---|---:|---:|',
    ...items.map(
      (item) =>
        `| ${item.item} | ${units(item.unitsPerJob)} ${item.unit} | ${money(item.usdPerMillionJobs)} |`,
    ),
    `| **total** | | **${money(total)}** |`,
  ].join('\n');
};

const requestTable = (rows: readonly RequestsPerJob[]) =>
  [
    '| caller | service | operation | requests per job | write units per job |',
    '|---|---|---|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.caller} | ${row.service} | ${row.operation} | ${row.perJob} | ${row.writeUnitsPerJob || ''} |`,
    ),
  ].join('\n');

/** A horizontal bar chart as standalone SVG. */
export const barChart = (title: string, bars: readonly { label: string; value: number }[], unit: string) => {
  const width = 760;
  const labelWidth = 300;
  const rowHeight = 22;
  const height = 40 + bars.length * rowHeight;
  const max = Math.max(...bars.map((bar) => bar.value), 1e-9);
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((bar, index) => {
    const y = 30 + index * rowHeight;
    const length = ((width - labelWidth - 90) * bar.value) / max;
    return [
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${rowHeight - 6}" fill="#4a7fb5"/>`,
      `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 14}">${escapeXml(`${units(bar.value)} ${unit}`)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12"><title>${escapeXml(title)}</title><text x="8" y="18" font-weight="bold">${escapeXml(title)}</text>${rows.join('')}</svg>\n`;
};

const PERCENTILE_COLOURS = { p50: '#9cc3e6', p95: '#4a7fb5', p99: '#1f3f66' } as const;

/**
 * Percentile bars grouped by row as standalone SVG: one group per row, a bar each for
 * p50, p95 and p99 on one linear scale, with a legend.
 */
export const percentileChart = (
  title: string,
  rows: readonly { label: string; values: Percentiles }[],
  unit: string,
) => {
  const width = 760;
  const labelWidth = 240;
  const barHeight = 12;
  const groupHeight = 3 * barHeight + 12;
  const top = 48;
  const height = top + rows.length * groupHeight + 8;
  const max = Math.max(...rows.flatMap((row) => [row.values.p50, row.values.p95, row.values.p99 ?? 0]), 1e-9);
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const legend = (['p50', 'p95', 'p99'] as const)
    .map(
      (name, index) =>
        `<rect x="${labelWidth + index * 70}" y="26" width="12" height="12" fill="${PERCENTILE_COLOURS[name]}"/><text x="${labelWidth + index * 70 + 16}" y="36">${name}</text>`,
    )
    .join('');
  const groups = rows.map((row, rowIndex) => {
    const y = top + rowIndex * groupHeight;
    const bars = (['p50', 'p95', 'p99'] as const).map((name, index) => {
      const value = row.values[name] ?? 0;
      const barY = y + index * barHeight;
      const length = ((width - labelWidth - 100) * value) / max;
      return [
        `<rect x="${labelWidth}" y="${barY}" width="${length.toFixed(1)}" height="${barHeight - 2}" fill="${PERCENTILE_COLOURS[name]}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${barY + 9}" font-size="10">${escapeXml(`${Math.round(value)} ${unit}`)}</text>`,
      ].join('');
    });
    return `<text x="${labelWidth - 8}" y="${y + 1.5 * barHeight + 4}" text-anchor="end">${escapeXml(row.label)}</text>${bars.join('')}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12"><title>${escapeXml(title)}</title><text x="8" y="18" font-weight="bold">${escapeXml(title)}</text>${legend}${groups.join('')}</svg>\n`;
};

/** The rows of the latency plot: each priority and load, and BullMQ's when it ran. */
export const latencyRows = (report: BenchReport): { label: string; values: LatencyClass }[] => {
  const latency = report.priorityLatencyMs;
  return [
    { label: 'critical, idle', values: latency.criticalIdle },
    { label: `critical, ${report.flood.lowJobs} low flooding`, values: latency.criticalUnderFlood },
    { label: `low, the flood itself`, values: latency.lowUnderFlood },
    { label: 'normal, submitted alone', values: latency.normalSingle },
    { label: `normal, ${report.jobs} in batches of 100`, values: latency.normalBatch },
    ...(report.bullmq.ran
      ? [{ label: `BullMQ, ${report.bullmq.jobs} in batches of 100`, values: report.bullmq.submitToStartMs }]
      : []),
  ];
};

/** `ours ÷ theirs` to three significant digits (a throughput ratio may be far below 1). */
const ratio = (ours: number, theirs: number) =>
  theirs > 0 ? `${Number((ours / theirs).toPrecision(3))}×` : '–';

const bullmqSection = (report: BenchReport) => {
  const bullmq = report.bullmq;
  if (!bullmq.ran) {
    return `Not run: ${bullmq.reason}. \`bullmqJobsPerSec\` is null.`;
  }
  const ours = report.submitToStartMs;
  const theirs = bullmq.submitToStartMs;
  return `The same workload — ${bullmq.jobs} no-op jobs, batches of 100 (\`addBulk\`), four
batches in flight — on BullMQ ${bullmq.bullmqVersion} with Redis ${bullmq.redisVersion}
(a \`redis-server\` the bench started on a free loopback port, no persistence), one
worker of concurrency ${bullmq.concurrency} (the normal-priority workers' environments ×
messages per batch), in the same process as the producer. Submit → start there is the
job's \`processedOn\` minus its \`timestamp\` (set as \`addBulk\` is called). The local cloud
was stopped while it ran. Lost / run more than once: ${bullmq.lost} / ${bullmq.duplicates}.

| figure | jobqueue (local cloud) | BullMQ | jobqueue ÷ BullMQ |
|---|---:|---:|---:|
| throughput, jobs/s | ${report.throughputJobsPerSec} | ${report.bullmqJobsPerSec} | ${ratio(report.throughputJobsPerSec, report.bullmqJobsPerSec ?? 0)} |
| batch of 100 accepted, p50 ms | ${report.batchAcceptMs.p50} | ${bullmq.batchAcceptMs.p50} | ${ratio(report.batchAcceptMs.p50, bullmq.batchAcceptMs.p50)} |
| submit → start p50, ms | ${ours.p50} | ${theirs.p50} | ${ratio(ours.p50, theirs.p50)} |
| submit → start p95, ms | ${ours.p95} | ${theirs.p95} | ${ratio(ours.p95, theirs.p95)} |
| submit → start p99, ms | ${ours.p99 ?? 0} | ${theirs.p99} | ${ratio(ours.p99 ?? 0, theirs.p99)} |`;
};

const latencyTable = (report: BenchReport) =>
  [
    '| jobs | count | p50 | p95 | p99 |',
    '|---|---:|---:|---:|---:|',
    ...latencyRows(report).map(
      (row) =>
        `| ${row.label} | ${row.values.count} | ${row.values.p50} ms | ${row.values.p95} ms | ${row.values.p99} ms |`,
    ),
  ].join('\n');

/** Writes docs/benchmarks.json, docs/benchmarks.md and the two plots beside them. */
export const writeReport = (report: BenchReport, directory = 'docs'): void => {
  mkdirSync(directory, { recursive: true });
  if (report.quick) {
    // A smoke run proves the bench works; it never overwrites the published figures.
    writeFileSync(`${directory}/benchmarks.quick.json`, `${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  writeFileSync(`${directory}/benchmarks.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    `${directory}/benchmarks-cost.svg`,
    barChart(
      'Batched no-op job: $ per million jobs, by line item',
      report.lineItems.batch.map((item) => ({ label: item.item, value: item.usdPerMillionJobs })),
      '$/M',
    ),
  );
  writeFileSync(
    `${directory}/benchmarks-latency.svg`,
    percentileChart('Submit → start by priority and load (ms)', latencyRows(report), 'ms'),
  );
  const markdown = `# Benchmarks

Generated by \`npm run bench\` on ${report.date.slice(0, 10)} — do not edit by hand.

Machine: ${report.machine}. Everything ran in the local cloud (\`npm start\`'s stack on
ports of its own), twice in turn. First with the request meter on, for the costs, the
idle window, the stats/list reads and the idle latency: each function's AWS SDK calls go
through a counting proxy, which asks DynamoDB Local for \`ReturnConsumedCapacity: INDEXES\`
and books the write units it reports, table and each index apart; idle traffic (pollers,
schedules) measured before the runs is subtracted from each run. Then a fresh local cloud
without the meter (a proxy hop per AWS call on the local cloud's busiest thread) for the
speed runs: the throughput run, the fixed offered rate and the flood. Prices: AWS list prices,
${report.prices.region}, as of ${report.prices.date} (\`bench/prices.ts\`).

## Throughput and latency

| figure | value |
|---|---:|
| jobs (batched run) | ${report.jobs} |
| lost / run more than once | ${report.lost} / ${report.duplicates} |
| throughput, submit of the first to completion of the last | ${report.throughputJobsPerSec} jobs/s |
| batch of 100 accepted, one at a time, p50 / p95 | ${report.batchAcceptIdleMs.p50} / ${report.batchAcceptIdleMs.p95} ms |
| batch of 100 accepted during the throughput run, p50 / p95 | ${report.batchAcceptMs.p50} / ${report.batchAcceptMs.p95} ms |
| single submit accepted, p50 / p95 | ${report.singleAcceptMs.p50} / ${report.singleAcceptMs.p95} ms |
| submit → start, batched run, p50 / p95 / p99 | ${report.submitToStartMs.p50} / ${report.submitToStartMs.p95} / ${report.submitToStartMs.p99} ms |
| submit → start at ${report.fixedRate.offeredJobsPerSec} jobs/s offered for ${report.fixedRate.seconds} s (batches of ${report.fixedRate.batchSize}; ${report.fixedRate.achievedOfferJobsPerSec} jobs/s sent), p50 / p95 / p99 | ${report.fixedRate.submitToStartMs.p50} / ${report.fixedRate.submitToStartMs.p95} / ${report.fixedRate.submitToStartMs.p99} ms |
| submit → start, idle (critical, one at a time), p50 / p95 | ${report.idleSubmitToStartMs.p50} / ${report.idleSubmitToStartMs.p95} ms |
| critical submit → start p95, idle / under the flood | ${report.criticalIdleP95Ms} / ${report.criticalUnderFloodP95Ms} ms (${ratio(report.criticalUnderFloodP95Ms, report.criticalIdleP95Ms)}) |
| BullMQ on the same workload | ${report.bullmqJobsPerSec === null ? 'not run (see below)' : `${report.bullmqJobsPerSec} jobs/s`} |

## Submit → start by priority

Submit → start is the job's own \`startedAt\` minus its \`createdAt\` (the moment the API
accepted it), read back from the table. The flood: ${report.flood.lowJobs} low-priority no-op
jobs in batches of 100, four requests in flight, each sent as soon as one was accepted;
meanwhile a critical no-op job every half second (${report.flood.criticalJobs} of them) until
the flood's last job started (${report.flood.seconds} s).${report.flood.note ? ` ${report.flood.note}.` : ''}

${latencyTable(report)}

![submit → start by priority](benchmarks-latency.svg)

## Reads with a small and a large table

\`GET /v1/stats\` and \`GET /v1/jobs\` (one page, the default 20), ${report.readLatencySetup.requests} requests
each one after another, timed at the client after one untimed request. The jobs were
written with the project's own \`JobStore.create\` straight into DynamoDB Local (finished
jobs, so nothing runs; their stream records drained before timing; not part of any cost
figure).${report.readLatencySetup.note ? ` ${report.readLatencySetup.note}.` : ''}

| | small: ${report.readLatencySetup.small.tableJobs} jobs in the table, ${report.readLatencySetup.small.userJobs} the user's | large: ${report.readLatencySetup.large.tableJobs} jobs, ${report.readLatencySetup.large.userJobs} the user's |
|---|---:|---:|
| \`GET /v1/stats\` p50 / p95 | ${report.statsLatencyMs.small.p50} / ${report.statsLatencyMs.small.p95} ms | ${report.statsLatencyMs.large.p50} / ${report.statsLatencyMs.large.p95} ms |
| \`GET /v1/jobs\` p50 / p95 | ${report.listLatencyMs.small.p50} / ${report.listLatencyMs.small.p95} ms | ${report.listLatencyMs.large.p50} / ${report.listLatencyMs.large.p95} ms |

## BullMQ side by side

${bullmqSection(report)}

## Cost per million no-op jobs

| | $ per million jobs |
|---|---:|
| submitted alone (\`POST /v1/jobs\`) | ${money(report.costPerMillionUsd.single)} |
| in batches of 100 | ${money(report.costPerMillionUsd.batch)} |
| in batches of 100, one WebSocket subscriber | ${money(report.costPerMillionUsd.subscribed)} |
| floor (1 HTTP request, 1 API invocation, 2 write units, 0.3 SQS requests, 0.1 worker invocation) | ${money(report.floorPerMillionUsd)} |
| idle, per month | ${money(report.idleUsdPerMonth)} |

Each figure is measured on requests sent one at a time, each waited for (the single submits,
one batch at a time), so a function's measured duration is the one a job pays, not this
2-core machine's queueing under load.${
    report.costUnderLoadPerMillionUsd
      ? ` For comparison, the flat-out throughput run costed with the durations it measured: ${money(report.costUnderLoadPerMillionUsd.batch)} per million jobs in batches of 100 (the same requests; Lambda durations inflated by the load).`
      : ''
  }

![cost](benchmarks-cost.svg)

### Submitted alone

${costTable(report.lineItems.single)}

### In batches of 100

${costTable(report.lineItems.batch)}

### In batches of 100, one WebSocket subscriber

${costTable(report.lineItems.subscribed)}

### Idle month

| line item | $ per month |
|---|---:|
${report.idleLineItems.map((item) => `| ${item.item} | ${money(item.usd)} |`).join('\n')}

## AWS requests per job, as counted

### Submitted alone

${requestTable(report.requestsPerJob.single)}

### In batches of 100

${requestTable(report.requestsPerJob.batch)}

### In batches of 100, one WebSocket subscriber

${requestTable(report.requestsPerJob.subscribed)}

## Bundles and cold start

Each function bundled as \`cdk deploy\` bundles it (esbuild), then imported in a fresh Node
process with the environment the local cloud gives it: the median of five imports.

| function | code | source maps | module init |
|---|---:|---:|---:|
${Object.entries(report.bundles)
  .map(
    ([name, figures]) =>
      `| ${name} | ${kilobytes(figures.bytes)} | ${kilobytes(figures.sourceMapBytes)} | ${figures.initMs ?? 'failed'} ms |`,
  )
  .join('\n')}

## How the figures are obtained

- **Write and read units** are DynamoDB Local's own \`ConsumedCapacity\` (it applies the
  same rules as DynamoDB: 1 KB write units, index writes when a projected attribute or key
  changes, two units per transactional write). A refused conditional write reports none
  there; it is booked as one unit (AWS bills it by item size).
- **Lambda** duration is the time each local invocation took on this machine (rounded up
  to 1 ms), priced at the template's memory and architecture; CloudWatch Logs is every
  byte the functions wrote plus ${PLATFORM_LOG_BYTES_PER_INVOCATION} bytes an invocation for Lambda's START/END/REPORT lines
  where the template lets Lambda write them (not at system log level WARN, which every
  function of this stack has).
- **X-Ray**: every invocation of a function with active tracing counts as a recorded trace
  (AWS's default sampling records each request at low rates).
- **SQS** requests are counted in 64 KB chunks; the local pollers' empty receives are
  part of the idle traffic subtracted from each run. The idle month models Lambda's SQS
  pollers instead (AWS's behaviour, not the local one).
- **Not modeled**: storage (items are deleted by TTL within days), data transfer, free tiers.
`;
  writeFileSync(`${directory}/benchmarks.md`, markdown);
};
