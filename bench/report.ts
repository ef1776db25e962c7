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

export interface BenchReport {
  readonly machine: string;
  readonly date: string;
  /** `--quick`: a smoke run with small counts, not figures to publish. */
  readonly quick: boolean;
  readonly jobs: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly throughputJobsPerSec: number;
  readonly batchAcceptMs: Percentiles;
  readonly singleAcceptMs: Percentiles;
  readonly submitToStartMs: Percentiles;
  readonly idleSubmitToStartMs: Percentiles;
  readonly costPerMillionUsd: {
    readonly single: number;
    readonly batch: number;
    readonly subscribed: number;
  };
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
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12"><text x="8" y="18" font-weight="bold">${escapeXml(title)}</text>${rows.join('')}</svg>\n`;
};

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
    barChart(
      'Submit → start (ms)',
      [
        { label: 'idle, critical, p50', value: report.idleSubmitToStartMs.p50 },
        { label: 'idle, critical, p95', value: report.idleSubmitToStartMs.p95 },
        { label: `${report.jobs} batched, p50`, value: report.submitToStartMs.p50 },
        { label: `${report.jobs} batched, p95`, value: report.submitToStartMs.p95 },
        { label: `${report.jobs} batched, p99`, value: report.submitToStartMs.p99 ?? 0 },
      ],
      'ms',
    ),
  );
  const markdown = `# Benchmarks

Generated by \`npm run bench\` on ${report.date.slice(0, 10)} — do not edit by hand.

Machine: ${report.machine}. Everything ran in the local cloud (\`npm start\`'s stack on
ports 4710–4714) with the request meter on: each function's AWS SDK calls go through a
counting proxy, which asks DynamoDB Local for \`ReturnConsumedCapacity: INDEXES\` and books
the write units it reports, table and each index apart. Idle traffic (pollers, schedules)
measured for a while before the runs is subtracted from each run. Prices: AWS list prices,
${report.prices.region}, as of ${report.prices.date} (\`bench/prices.ts\`).

## Throughput and latency

| figure | value |
|---|---:|
| jobs (batched run) | ${report.jobs} |
| lost / run more than once | ${report.lost} / ${report.duplicates} |
| throughput, submit of the first to completion of the last | ${report.throughputJobsPerSec} jobs/s |
| batch of 100 accepted, p50 / p95 | ${report.batchAcceptMs.p50} / ${report.batchAcceptMs.p95} ms |
| single submit accepted, p50 / p95 | ${report.singleAcceptMs.p50} / ${report.singleAcceptMs.p95} ms |
| submit → start, batched run, p50 / p95 / p99 | ${report.submitToStartMs.p50} / ${report.submitToStartMs.p95} / ${report.submitToStartMs.p99} ms |
| submit → start, idle (critical, one at a time), p50 / p95 | ${report.idleSubmitToStartMs.p50} / ${report.idleSubmitToStartMs.p95} ms |

![latency](benchmarks-latency.svg)

## Cost per million no-op jobs

| | $ per million jobs |
|---|---:|
| submitted alone (\`POST /v1/jobs\`) | ${money(report.costPerMillionUsd.single)} |
| in batches of 100 | ${money(report.costPerMillionUsd.batch)} |
| in batches of 100, one WebSocket subscriber | ${money(report.costPerMillionUsd.subscribed)} |
| floor (1 HTTP request, 1 API invocation, 2 write units, 0.3 SQS requests, 0.1 worker invocation) | ${money(report.floorPerMillionUsd)} |
| idle, per month | ${money(report.idleUsdPerMonth)} |

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
  byte the functions wrote plus ${PLATFORM_LOG_BYTES_PER_INVOCATION} bytes an invocation for Lambda's START/END/REPORT lines.
- **X-Ray**: every invocation of a function with active tracing counts as a recorded trace
  (AWS's default sampling records each request at low rates).
- **SQS** requests are counted in 64 KB chunks; the local pollers' empty receives are
  part of the idle traffic subtracted from each run. The idle month models Lambda's SQS
  pollers instead (AWS's behaviour, not the local one).
- **Not modeled**: storage (items are deleted by TTL within days), data transfer, free tiers.
`;
  writeFileSync(`${directory}/benchmarks.md`, markdown);
};
