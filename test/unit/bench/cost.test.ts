import { displayName, fixedMonthlyItems, lineItems, usageBetween, withoutIdle } from '../../../bench/cost';
import {
  IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  PRICES,
} from '../../../bench/prices';
import type { Template } from '../../../local/template';
import { UsageLedger, type UsageLine } from '../../../local/usage-ledger';

const ledgerOf = (fill: (ledger: UsageLedger) => void): UsageLine[] => {
  const ledger = new UsageLedger();
  fill(ledger);
  return ledger.snapshot();
};
const functions = new Map([
  ['ApiHandler8AD6A8DF', { memoryMb: 1024, arm64: true, traceShare: 1 }],
  ['Worker', { memoryMb: 512, arm64: false, traceShare: 0 }],
]);
const itemNamed = (items: ReturnType<typeof lineItems>, name: string) =>
  items.find((item) => item.item === name);

describe('line items', () => {
  it('prices write units per index at the on-demand rate, per million jobs', () => {
    const usage = ledgerOf((ledger) =>
      ledger.add('Api', 'dynamodb', 'PutItem', {
        requests: 10,
        writeUnits: 30,
        writeUnitsBy: { table: 20, GSI1: 10 },
      }),
    );
    const items = lineItems(usage, 10, functions);
    expect(itemNamed(items, 'DynamoDB write units (table)')).toEqual({
      item: 'DynamoDB write units (table)',
      unit: 'WRU',
      unitsPerJob: 2,
      usdPerMillionJobs: 2 * PRICES.dynamodb.writeUnitPerMillion,
    });
    expect(itemNamed(items, 'DynamoDB write units (GSI1)')?.usdPerMillionJobs).toBeCloseTo(
      PRICES.dynamodb.writeUnitPerMillion,
    );
  });

  it('prices an invocation by requests, GB-seconds of its memory and architecture, platform logs and traces', () => {
    const usage = ledgerOf((ledger) => {
      ledger.add('ApiHandler8AD6A8DF', 'lambda', 'Invoke', { requests: 2, durationMs: 2000 });
      ledger.add('Worker', 'lambda', 'Invoke', { requests: 1, durationMs: 1000 });
    });
    const items = lineItems(usage, 1, functions);
    // 2 requests + 2 s at 1 GB arm64.
    expect(itemNamed(items, 'Lambda ApiHandler')?.usdPerMillionJobs).toBeCloseTo(
      ((2 * PRICES.lambda.requestPerMillion) / 1e6) * 1e6 + 2 * PRICES.lambda.arm64GbSecond * 1e6,
    );
    // 1 request + 1 s at 0.5 GB x86.
    expect(itemNamed(items, 'Lambda Worker')?.usdPerMillionJobs).toBeCloseTo(
      PRICES.lambda.requestPerMillion + 0.5 * PRICES.lambda.x86GbSecond * 1e6,
    );
    expect(itemNamed(items, 'X-Ray traces')?.unitsPerJob).toBe(2);
    expect(itemNamed(items, 'CloudWatch Logs')?.unitsPerJob).toBe(3 * PLATFORM_LOG_BYTES_PER_INVOCATION);
  });

  it('books no platform log lines for a function whose system log level keeps Lambda from writing them', () => {
    const quiet = new Map([...functions].map(([id, billing]) => [id, { ...billing, platformLines: false }]));
    const usage = ledgerOf((ledger) => {
      ledger.add('ApiHandler8AD6A8DF', 'lambda', 'Invoke', { requests: 2, durationMs: 2000 });
    });
    expect(itemNamed(lineItems(usage, 1, quiet), 'CloudWatch Logs')).toBeUndefined();
    expect(itemNamed(lineItems(usage, 1, functions), 'CloudWatch Logs')?.unitsPerJob).toBe(
      2 * PLATFORM_LOG_BYTES_PER_INVOCATION,
    );
  });

  it('prices SQS by 64 KB units, WebSocket messages and minutes apart, and leaves free calls out', () => {
    const usage = ledgerOf((ledger) => {
      ledger.add('Dispatch', 'sqs', 'SendMessageBatch', { requests: 1, billedUnits: 3 });
      ledger.add('Client', 'apigateway-ws', 'MessageOut', { requests: 4, billedUnits: 4 });
      ledger.add('Client', 'apigateway-ws', 'ConnectionMinutes', { requests: 1, billedUnits: 10 });
      ledger.add('Worker', 'lambda', 'GetEventSourceMapping', { requests: 5 });
      ledger.add('Worker', 's3', 'DeleteObject', { requests: 5 });
    });
    const items = lineItems(usage, 1, functions);
    expect(itemNamed(items, 'SQS requests')?.usdPerMillionJobs).toBeCloseTo(3 * PRICES.sqs.requestPerMillion);
    expect(itemNamed(items, 'WebSocket messages')?.unitsPerJob).toBe(4);
    expect(itemNamed(items, 'WebSocket connection minutes')?.usdPerMillionJobs).toBeCloseTo(
      10 * PRICES.webSocketApi.connectionMinutePerMillion,
    );
    expect(items.map((item) => item.item)).not.toContain('S3 requests');
    expect(items).toHaveLength(3);
  });
});

describe('usage arithmetic', () => {
  it('subtracts an earlier snapshot line by line and idle traffic scaled to the run, never below zero', () => {
    const before = ledgerOf((ledger) =>
      ledger.add('A', 'sqs', 'ReceiveMessage', { requests: 5, billedUnits: 5 }),
    );
    const after = ledgerOf((ledger) => {
      ledger.add('A', 'sqs', 'ReceiveMessage', { requests: 25, billedUnits: 25 });
      ledger.add('B', 'dynamodb', 'PutItem', { requests: 1, writeUnits: 2, writeUnitsBy: { table: 2 } });
    });
    const run = usageBetween(before, after);
    expect(run.find((line) => line.caller === 'A')?.requests).toBe(20);
    const idlePerSecond = ledgerOf((ledger) =>
      ledger.add('A', 'sqs', 'ReceiveMessage', { requests: 1, billedUnits: 1 }),
    );
    expect(withoutIdle(run, idlePerSecond, 15).find((line) => line.caller === 'A')?.requests).toBe(5);
    expect(withoutIdle(run, idlePerSecond, 60).find((line) => line.caller === 'A')?.requests).toBe(0);
    expect(withoutIdle(run, idlePerSecond, 60).find((line) => line.caller === 'B')?.writeUnits).toBe(2);
  });

  it('names a function without its CDK hash', () => {
    expect(displayName('ApiHandler8AD6A8DF')).toBe('ApiHandler');
    expect(displayName('Dispatch')).toBe('Dispatch');
  });
});

describe('fixed monthly costs', () => {
  const templateWith = (counts: Record<string, number>, resources: Template['Resources'] = {}): Template => ({
    Resources: {
      ...resources,
      ...Object.fromEntries(
        Object.entries(counts).flatMap(([type, count]) =>
          Array.from({ length: count }, (_, index) => [`${type.replace(/\W/g, '')}${index}`, { Type: type }]),
        ),
      ),
    },
  });
  const usdOf = (items: ReturnType<typeof fixedMonthlyItems>, prefix: string) =>
    items.find((item) => item.item.startsWith(prefix))?.usd;

  it('bills each customer-managed KMS key by the month, as alarms, dashboards and secrets', () => {
    const items = fixedMonthlyItems(
      templateWith({
        'AWS::KMS::Key': 1,
        'AWS::CloudWatch::Alarm': 12,
        'AWS::CloudWatch::Dashboard': 1,
        'AWS::SecretsManager::Secret': 1,
        'AWS::SNS::Topic': 1,
        'AWS::SNS::Subscription': 1,
      }),
    );
    expect(usdOf(items, 'KMS keys (1')).toBe(PRICES.kms.keyPerMonth);
    expect(usdOf(items, 'CloudWatch alarms (12)')).toBeCloseTo(12 * PRICES.cloudWatch.alarmPerMonth);
    expect(usdOf(items, 'CloudWatch dashboards (1)')).toBe(PRICES.cloudWatch.dashboardPerMonth);
    expect(usdOf(items, 'Secrets Manager secrets (1)')).toBe(PRICES.secretsManager.secretPerMonth);
    // An idle topic and its subscriptions cost nothing.
    expect(items.map((item) => item.item).join()).not.toMatch(/SNS/);
  });

  it('a stack without a key pays nothing for keys', () => {
    expect(usdOf(fixedMonthlyItems(templateWith({})), 'KMS keys (0')).toBe(0);
  });

  it('models the empty receives of Lambda’s pollers on the work queues only', () => {
    const mapping = (source: string) => ({
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': [source, 'Arn'] } },
    });
    const items = fixedMonthlyItems(
      templateWith({}, { Low: mapping('QueuesLowQueue1234ABCD'), Stream: mapping('JobsTable1234ABCD') }),
    );
    expect(usdOf(items, 'SQS pollers (modeled: 1 mappings')).toBeCloseTo(
      (IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE * 60 * 24 * 30 * PRICES.sqs.requestPerMillion) / 1e6,
    );
  });
});
