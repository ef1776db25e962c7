import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  type AlarmDefinition,
  alarmDefinitions,
  evaluateAlarm,
  LocalAlarms,
  type LocalMetricSources,
  localMeasure,
} from '../../../local/cloudwatch-alarms';
import type { Bindings, Template } from '../../../local/template';

const bindings: Bindings = {
  ref: (id) => `ref-of-${id}`,
  getAtt: (id, attribute) => `${id}-${attribute}`,
};

const TEMPLATE: Template = {
  Resources: {
    MonitoringNormalDeadLettersED07AAEA: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: 'Messages in the normal DLQ',
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['QueuesNormalDlq', 'QueueName'] } }],
        EvaluationPeriods: 1,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Period: 60,
        Statistic: 'Maximum',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'Topic' }],
        OKActions: [{ Ref: 'Topic' }],
      },
    },
    MonitoringDispatchIteratorAge: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: 'The dispatch stream consumer is falling behind',
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'StreamsDispatch' } }],
        MetricName: 'IteratorAge',
        Namespace: 'AWS/Lambda',
        Period: 60,
        Statistic: 'Maximum',
        Threshold: 300000,
      },
    },
    SomeQueue: { Type: 'AWS::SQS::Queue' },
  },
};

const definition = (fields: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  ...(alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'us-east-1', '000000000000')[0] as AlarmDefinition),
  ...fields,
});

describe('alarmDefinitions', () => {
  test('every alarm of the template, named as CloudFormation would (stack name prefix), its properties resolved', () => {
    const [dlq, lag, ...rest] = alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'us-east-1', '000000000000');
    expect(rest).toEqual([]);
    expect(dlq?.name).toMatch(/^JobQueue-MonitoringNormalDeadLettersED07AAEA-[0-9A-F]{12}$/);
    expect(dlq).toMatchObject({
      arn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${dlq?.name}`,
      description: 'Messages in the normal DLQ',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: 'QueuesNormalDlq-QueueName' },
      statistic: 'Maximum',
      periodSeconds: 60,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: ['ref-of-Topic'],
    });
    expect(lag?.dimensions).toEqual({ FunctionName: 'ref-of-StreamsDispatch' });
  });

  test('the names are stable across restarts and differ between alarms', () => {
    const once = alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'r', 'a').map((alarm) => alarm.name);
    const again = alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'r', 'a').map((alarm) => alarm.name);
    expect(again).toEqual(once);
    expect(new Set(once).size).toBe(2);
  });
});

describe('evaluateAlarm', () => {
  test.each([
    ['GreaterThanThreshold', 1, 'ALARM'],
    ['GreaterThanThreshold', 0, 'OK'],
    ['GreaterThanOrEqualToThreshold', 0, 'ALARM'],
    ['GreaterThanOrEqualToThreshold', -1, 'OK'],
    ['LessThanThreshold', -1, 'ALARM'],
    ['LessThanThreshold', 0, 'OK'],
    ['LessThanOrEqualToThreshold', 0, 'ALARM'],
    ['LessThanOrEqualToThreshold', 1, 'OK'],
  ])('%s threshold 0, measured %d: %s', (comparison, value, state) => {
    expect(evaluateAlarm(definition({ comparison }), value).state).toBe(state);
  });

  test('the reason names the metric, the value and the threshold', () => {
    expect(evaluateAlarm(definition(), 3).reason).toBe(
      'Threshold crossed: AWS/SQS ApproximateNumberOfMessagesVisible (Maximum over the last 60 s) was 3, greater than the threshold (0).',
    );
    expect(evaluateAlarm(definition(), 0).reason).toBe(
      'AWS/SQS ApproximateNumberOfMessagesVisible (Maximum over the last 60 s) was 0, not greater than the threshold (0).',
    );
  });

  test('a metric the local cloud cannot measure, or a comparison it does not know, is INSUFFICIENT_DATA saying so', () => {
    expect(evaluateAlarm(definition(), undefined)).toEqual({
      state: 'INSUFFICIENT_DATA',
      reason: 'AWS/SQS ApproximateNumberOfMessagesVisible is not measured by the local cloud.',
    });
    expect(evaluateAlarm(definition({ comparison: 'LessThanLowerOrGreaterThanUpperThreshold' }), 5)).toEqual({
      state: 'INSUFFICIENT_DATA',
      reason: 'The comparison LessThanLowerOrGreaterThanUpperThreshold is not measured by the local cloud.',
    });
  });
});

describe('LocalAlarms', () => {
  const setup = (values: Record<string, number | undefined>) => {
    let now = new Date('2026-11-30T05:00:00.000Z');
    const definitions = alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'us-east-1', '000000000000');
    const alarms = new LocalAlarms(
      definitions,
      (alarm) => values[alarm.metricName],
      () => now,
    );
    const at = (iso: string) => {
      now = new Date(iso);
    };
    const stateOf = (metricName: string) =>
      alarms.describe({}).MetricAlarms.find((alarm) => alarm.MetricName === metricName);
    return { alarms, at, stateOf, definitions };
  };

  test('since moves only when the state changes, as CloudWatch’s StateUpdatedTimestamp does', () => {
    const values: Record<string, number | undefined> = { ApproximateNumberOfMessagesVisible: 0 };
    const { at, stateOf } = setup(values);
    at('2026-11-30T05:01:00.000Z');
    expect(stateOf('ApproximateNumberOfMessagesVisible')).toMatchObject({
      StateValue: 'OK',
      StateUpdatedTimestamp: Date.parse('2026-11-30T05:01:00.000Z') / 1000,
    });
    at('2026-11-30T05:02:00.000Z');
    expect(stateOf('ApproximateNumberOfMessagesVisible')?.StateUpdatedTimestamp).toBe(
      Date.parse('2026-11-30T05:01:00.000Z') / 1000,
    );
    values.ApproximateNumberOfMessagesVisible = 2;
    at('2026-11-30T05:03:00.000Z');
    expect(stateOf('ApproximateNumberOfMessagesVisible')).toMatchObject({
      StateValue: 'ALARM',
      StateReason: expect.stringContaining('was 2'),
      StateUpdatedTimestamp: Date.parse('2026-11-30T05:03:00.000Z') / 1000,
    });
    // A changed value in the same state keeps the time but updates the reason.
    values.ApproximateNumberOfMessagesVisible = 5;
    at('2026-11-30T05:04:00.000Z');
    expect(stateOf('ApproximateNumberOfMessagesVisible')).toMatchObject({
      StateReason: expect.stringContaining('was 5'),
      StateUpdatedTimestamp: Date.parse('2026-11-30T05:03:00.000Z') / 1000,
    });
  });

  test('an unmeasured alarm stays INSUFFICIENT_DATA since start-up', () => {
    const { at, stateOf } = setup({});
    at('2026-11-30T06:00:00.000Z');
    expect(stateOf('IteratorAge')).toMatchObject({
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'AWS/Lambda IteratorAge is not measured by the local cloud.',
      StateUpdatedTimestamp: Date.parse('2026-11-30T05:00:00.000Z') / 1000,
    });
  });

  test('a measurement that fails leaves the alarm INSUFFICIENT_DATA, not the whole answer failed', () => {
    const definitions = alarmDefinitions(TEMPLATE, 'JobQueue', bindings, 'us-east-1', '000000000000');
    const alarms = new LocalAlarms(definitions, () => {
      throw new Error('fauxqs went away');
    });
    expect(alarms.describe({}).MetricAlarms.map((alarm) => alarm.StateValue)).toEqual([
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
    ]);
  });

  test('filters as DescribeAlarms does: name prefix, names, state, alarm types', () => {
    const { alarms, definitions } = setup({ ApproximateNumberOfMessagesVisible: 1 });
    const names = (input: Parameters<LocalAlarms['describe']>[0]) =>
      alarms.describe(input).MetricAlarms.map((alarm) => alarm.AlarmName);
    const [dlq, lag] = definitions.map((alarm) => alarm.name);
    expect(names({ AlarmNamePrefix: 'JobQueue-MonitoringNormal' })).toEqual([dlq]);
    expect(names({ AlarmNamePrefix: 'OtherStack-' })).toEqual([]);
    expect(names({ AlarmNames: [lag] })).toEqual([lag]);
    expect(names({ StateValue: 'ALARM' })).toEqual([dlq]);
    expect(names({ AlarmTypes: ['CompositeAlarm'] })).toEqual([]);
    expect(names({ AlarmTypes: ['MetricAlarm'] })).toEqual([dlq, lag]);
  });

  test('serves the real SDK over HTTP (AWS JSON 1.0, GraniteServiceVersion20100801.DescribeAlarms)', async () => {
    const { alarms } = setup({ ApproximateNumberOfMessagesVisible: 4 });
    const server: Server = createServer((request, response) => {
      void alarms.handle(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new CloudWatchClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const output = await client.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: 'JobQueue-', AlarmTypes: ['MetricAlarm'] }),
      );
      const dlq = output.MetricAlarms?.find(
        (alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible',
      );
      expect(dlq).toMatchObject({
        StateValue: 'ALARM',
        AlarmDescription: 'Messages in the normal DLQ',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'QueueName', Value: 'QueuesNormalDlq-QueueName' }],
      });
      expect(dlq?.StateUpdatedTimestamp).toEqual(new Date('2026-11-30T05:00:00.000Z'));
      expect(output.CompositeAlarms).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('other CloudWatch calls and other services are not taken for DescribeAlarms', async () => {
    const { alarms } = setup({});
    const reply = { status: 0, body: '' };
    const response = {
      writeHead: (status: number) => {
        reply.status = status;
      },
      end: (body: string) => {
        reply.body = body;
      },
    } as never;
    const request = (target?: string) => ({ headers: target ? { 'x-amz-target': target } : {} }) as never;
    await expect(alarms.handle(request('secretsmanager.GetSecretValue'), response)).resolves.toBe(false);
    await expect(alarms.handle(request(), response)).resolves.toBe(false);
    await expect(
      alarms.handle(request('GraniteServiceVersion20100801.PutMetricAlarm'), response),
    ).resolves.toBe(true);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).message).toContain('not served locally');
  });
});

describe('localMeasure', () => {
  const NOW = Date.parse('2026-11-30T05:00:00.000Z');
  const sources = (overrides: Partial<LocalMetricSources> = {}): LocalMetricSources => ({
    inspectQueue: (name) =>
      name === 'dlq'
        ? {
            messages: {
              ready: [{ sentTimestamp: NOW - 30_000 }, { sentTimestamp: NOW - 5_000 }],
              inflight: [{ message: { sentTimestamp: NOW - 120_000 } }],
            },
          }
        : name === 'empty'
          ? { messages: { ready: [], inflight: [] } }
          : undefined,
    functionErrorsSince: (name, since) =>
      name === 'worker' ? (since === NOW - 300_000 ? 2 : -1) : undefined,
    serverErrorsSince: (since) => (since === NOW - 300_000 ? 7 : -1),
    httpApiId: 'localhttp',
    ...overrides,
  });
  const measure = localMeasure(sources(), () => NOW);
  const sqs = (metricName: string, queue: string) =>
    definition({ namespace: 'AWS/SQS', metricName, dimensions: { QueueName: queue } });

  test('SQS: visible messages, and the oldest message’s age in seconds (in flight included)', () => {
    expect(measure(sqs('ApproximateNumberOfMessagesVisible', 'dlq'))).toBe(2);
    expect(measure(sqs('ApproximateAgeOfOldestMessage', 'dlq'))).toBe(120);
    expect(measure(sqs('ApproximateAgeOfOldestMessage', 'empty'))).toBe(0);
    expect(measure(sqs('ApproximateNumberOfMessagesVisible', 'missing'))).toBeUndefined();
    expect(measure(sqs('NumberOfMessagesSent', 'dlq'))).toBeUndefined();
  });

  test('Lambda errors and API 5xx over the alarm’s period; throttles and iterator age not measured', () => {
    const lambda = (metricName: string, name = 'worker') =>
      definition({
        namespace: 'AWS/Lambda',
        metricName,
        periodSeconds: 300,
        dimensions: { FunctionName: name },
      });
    expect(measure(lambda('Errors'))).toBe(2);
    expect(measure(lambda('Errors', 'unknown'))).toBeUndefined();
    expect(measure(lambda('Throttles'))).toBeUndefined();
    expect(measure(lambda('IteratorAge'))).toBeUndefined();
    const api = (apiId: string) =>
      definition({
        namespace: 'AWS/ApiGateway',
        metricName: '5xx',
        periodSeconds: 300,
        dimensions: { ApiId: apiId },
      });
    expect(measure(api('localhttp'))).toBe(7);
    expect(measure(api('another-api'))).toBeUndefined();
  });
});
