import { resourcesOfType, type Template } from '../local/template';
import type { UsageLine } from '../local/usage-ledger';
import { IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE, PLATFORM_LOG_BYTES_PER_INVOCATION, PRICES } from './prices';

/** What the template says of a function that its bill depends on. */
export interface FunctionBilling {
  readonly memoryMb: number;
  readonly arm64: boolean;
  /** Share of invocations recorded as X-Ray traces (1 with active tracing at low rates, 0 without). */
  readonly traceShare: number;
  /**
   * Whether Lambda writes its START/END/REPORT lines for the function: not with JSON logs at
   * system log level WARN or above. @default true
   */
  readonly platformLines?: boolean;
}

export interface LineItem {
  /** e.g. `DynamoDB write units (GSI1)`, `Lambda ApiHandler`. */
  readonly item: string;
  /** Billing units per job in the item's own unit (write units, requests, GB-s …). */
  readonly unitsPerJob: number;
  readonly unit: string;
  readonly usdPerMillionJobs: number;
}

/** A logical id without CDK's hash suffix: `ApiHandler8AD6A8DF` → `ApiHandler`. */
export const displayName = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

const S3_READS = new Set(['GetObject', 'HeadObject', 'HeadBucket']);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'DeleteBucket']);

/**
 * Dollars per million jobs, item by item, from usage that covers `jobs` jobs (idle traffic
 * already subtracted). Items that cost nothing are left out.
 */
export const lineItems = (
  usage: readonly UsageLine[],
  jobs: number,
  functions: ReadonlyMap<string, FunctionBilling>,
): LineItem[] => {
  const items = new Map<string, { units: number; unit: string; usd: number }>();
  const add = (item: string, unit: string, units: number, usd: number) => {
    if (units === 0 && usd === 0) return;
    const entry = items.get(item) ?? { units: 0, unit, usd: 0 };
    entry.units += units;
    entry.usd += usd;
    items.set(item, entry);
  };
  for (const line of usage) {
    switch (line.service) {
      case 'dynamodb':
        for (const [index, units] of Object.entries(line.writeUnitsBy)) {
          add(
            `DynamoDB write units (${index})`,
            'WRU',
            units,
            (units * PRICES.dynamodb.writeUnitPerMillion) / 1e6,
          );
        }
        add(
          'DynamoDB read units',
          'RRU',
          line.readUnits,
          (line.readUnits * PRICES.dynamodb.readUnitPerMillion) / 1e6,
        );
        break;
      case 'sqs':
        add(
          'SQS requests',
          '64 KB requests',
          line.billedUnits,
          (line.billedUnits * PRICES.sqs.requestPerMillion) / 1e6,
        );
        break;
      case 's3': {
        if (S3_FREE.has(line.operation)) break;
        const perThousand = S3_READS.has(line.operation)
          ? PRICES.s3.readPerThousand
          : PRICES.s3.writePerThousand;
        add('S3 requests', 'requests', line.requests, (line.requests * perThousand) / 1000);
        break;
      }
      case 'sesv2':
        add('SES emails', 'emails', line.requests, (line.requests * PRICES.ses.emailPerThousand) / 1000);
        break;
      case 'secretsmanager':
        add(
          'Secrets Manager calls',
          'calls',
          line.requests,
          (line.requests * PRICES.secretsManager.callsPerTenThousand) / 10_000,
        );
        break;
      case 'lambda': {
        if (line.operation !== 'Invoke') break;
        const billing = functions.get(line.caller) ?? { memoryMb: 128, arm64: true, traceShare: 0 };
        const gbSeconds = (line.durationMs / 1000) * (billing.memoryMb / 1024);
        const perGbSecond = billing.arm64 ? PRICES.lambda.arm64GbSecond : PRICES.lambda.x86GbSecond;
        add(
          `Lambda ${displayName(line.caller)}`,
          'invocations',
          line.requests,
          (line.requests * PRICES.lambda.requestPerMillion) / 1e6 + gbSeconds * perGbSecond,
        );
        const platformBytes =
          billing.platformLines === false ? 0 : line.requests * PLATFORM_LOG_BYTES_PER_INVOCATION;
        add(
          'CloudWatch Logs',
          'bytes',
          platformBytes,
          (platformBytes / 1024 ** 3) * PRICES.logs.ingestedPerGb,
        );
        const traces = line.requests * billing.traceShare;
        add('X-Ray traces', 'traces', traces, (traces * PRICES.xray.tracePerMillion) / 1e6);
        break;
      }
      case 'logs':
        add('CloudWatch Logs', 'bytes', line.bytes, (line.bytes / 1024 ** 3) * PRICES.logs.ingestedPerGb);
        break;
      case 'apigateway-http':
        add(
          'HTTP API requests',
          'requests',
          line.billedUnits,
          (line.billedUnits * PRICES.httpApi.requestPerMillion) / 1e6,
        );
        break;
      case 'apigateway-ws':
        if (line.operation === 'ConnectionMinutes') {
          add(
            'WebSocket connection minutes',
            'minutes',
            line.billedUnits,
            (line.billedUnits * PRICES.webSocketApi.connectionMinutePerMillion) / 1e6,
          );
        } else {
          add(
            'WebSocket messages',
            '32 KB messages',
            line.billedUnits,
            (line.billedUnits * PRICES.webSocketApi.messagePerMillion) / 1e6,
          );
        }
        break;
      default:
        // Services free of charge here (the Lambda event-source-mapping API, DynamoDB Streams read by Lambda).
        break;
    }
  }
  return [...items.entries()]
    .map(([item, { units, unit, usd }]) => ({
      item,
      unit,
      unitsPerJob: units / jobs,
      usdPerMillionJobs: (usd / jobs) * 1e6,
    }))
    .sort((a, b) => b.usdPerMillionJobs - a.usdPerMillionJobs);
};

const AMOUNTS = [
  'requests',
  'billedUnits',
  'writeUnits',
  'readUnits',
  'durationMs',
  'bytes',
  'errors',
] as const;

/** The line with `change` applied to each amount; `index` is set for per-index write units. */
const mapAmounts = (
  line: UsageLine,
  change: (value: number, field: (typeof AMOUNTS)[number] | 'writeUnitsBy', index?: string) => number,
): UsageLine => {
  const changed = { ...line, writeUnitsBy: {} as Record<string, number> };
  for (const field of AMOUNTS) changed[field] = change(line[field], field);
  for (const [index, units] of Object.entries(line.writeUnitsBy)) {
    changed.writeUnitsBy[index] = change(units, 'writeUnitsBy', index);
  }
  return changed;
};

const keyOf = (line: UsageLine) => `${line.caller}\u0000${line.service}\u0000${line.operation}`;

/** `after` minus `before`, line by line (lines only in `before` are dropped). */
export const usageBetween = (before: readonly UsageLine[], after: readonly UsageLine[]): UsageLine[] => {
  const earlier = new Map(before.map((line) => [keyOf(line), line]));
  return after.map((line) => {
    const base = earlier.get(keyOf(line));
    if (!base) return line;
    return mapAmounts(line, (value, field, index) =>
      field === 'writeUnitsBy' ? value - (base.writeUnitsBy[index ?? ''] ?? 0) : value - base[field],
    );
  });
};

/**
 * `usage` minus what idling for `seconds` costs at `idlePerSecond` (the pollers and
 * schedules that run whatever the load), never below zero.
 */
export const withoutIdle = (
  usage: readonly UsageLine[],
  idlePerSecond: readonly UsageLine[],
  seconds: number,
): UsageLine[] =>
  usageBetween(
    idlePerSecond.map((line) => scaleUsage(line, seconds)),
    usage,
  ).map((line) => mapAmounts(line, (value) => Math.max(0, value)));

export const scaleUsage = (line: UsageLine, factor: number): UsageLine =>
  mapAmounts(line, (value) => value * factor);

/** The floor the issue states: one HTTP request, one API invocation, two table writes, ~0.3 SQS requests, 0.1 worker invocation. */
export const floorPerMillion = (apiMemoryMb: number, workerMemoryMb: number): number => {
  const invocation = (ms: number, memoryMb: number) =>
    PRICES.lambda.requestPerMillion / 1e6 + (ms / 1000) * (memoryMb / 1024) * PRICES.lambda.arm64GbSecond;
  const perJob =
    PRICES.httpApi.requestPerMillion / 1e6 +
    invocation(10, apiMemoryMb) +
    (2 * PRICES.dynamodb.writeUnitPerMillion) / 1e6 +
    (0.3 * PRICES.sqs.requestPerMillion) / 1e6 +
    0.1 * invocation(20, workerMemoryMb);
  return perJob * 1e6;
};

/**
 * What the stack costs a month from its template alone, whatever it runs: Lambda's SQS
 * pollers (modeled), and the resources billed by the month.
 */
export const fixedMonthlyItems = (template: Template): { item: string; usd: number }[] => {
  const count = (type: string) => resourcesOfType(template, type).length;
  const sqsMappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
    JSON.stringify(mapping.Properties?.EventSourceArn).includes('Queue'),
  ).length;
  const pollsPerMonth = sqsMappings * IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE * 60 * 24 * 30;
  const keys = count('AWS::KMS::Key');
  return [
    {
      item: `SQS pollers (modeled: ${sqsMappings} mappings × ${IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE}/min)`,
      usd: (pollsPerMonth * PRICES.sqs.requestPerMillion) / 1e6,
    },
    {
      item: `CloudWatch alarms (${count('AWS::CloudWatch::Alarm')})`,
      usd: count('AWS::CloudWatch::Alarm') * PRICES.cloudWatch.alarmPerMonth,
    },
    {
      item: `CloudWatch dashboards (${count('AWS::CloudWatch::Dashboard')})`,
      usd: count('AWS::CloudWatch::Dashboard') * PRICES.cloudWatch.dashboardPerMonth,
    },
    {
      item: `Secrets Manager secrets (${count('AWS::SecretsManager::Secret')})`,
      usd: count('AWS::SecretsManager::Secret') * PRICES.secretsManager.secretPerMonth,
    },
    {
      // The first year's price: each of the first two yearly rotations adds as much again.
      item: `KMS keys (${keys}, first year; $${(1 + PRICES.kms.rotationsBilled) * PRICES.kms.keyPerMonth} a month each from the third)`,
      usd: keys * PRICES.kms.keyPerMonth,
    },
  ];
};
