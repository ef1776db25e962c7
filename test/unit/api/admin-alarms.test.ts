import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { listAlarms } from '../../../lambdas/api/admin-alarms';
import { route } from '../../../lambdas/api/handler';
import { apiDependencies } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const cloudwatch = mockClient(CloudWatchClient);
const ADMIN = { id: 'admin-1', isAdmin: true };

const alarm = (fields: Partial<MetricAlarm> = {}): MetricAlarm => ({
  AlarmName: 'JobQueue-MonitoringNormalDeadLettersED07AAEA-1A2B3C4D5E6F',
  AlarmDescription: 'Messages in the normal DLQ',
  StateValue: 'OK',
  StateReason: 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (0.0).',
  StateUpdatedTimestamp: new Date('2026-11-30T04:00:00.000Z'),
  Namespace: 'AWS/SQS',
  MetricName: 'ApproximateNumberOfMessagesVisible',
  Dimensions: [{ Name: 'QueueName', Value: 'JobQueue-QueuesNormalDeadLetterQueue' }],
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  ...fields,
});

beforeEach(() => cloudwatch.reset());

test('asks CloudWatch for the stack’s metric alarms by name prefix only and maps each to the contract', async () => {
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm()] });
  const answer = await listAlarms(ADMIN, apiDependencies());
  expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
    AlarmNamePrefix: 'JobQueue-Monitoring',
    AlarmTypes: ['MetricAlarm'],
    MaxRecords: 100,
    NextToken: undefined,
  });
  expect(answer).toEqual({
    alarms: [
      {
        name: 'JobQueue-MonitoringNormalDeadLettersED07AAEA-1A2B3C4D5E6F',
        description: 'Messages in the normal DLQ',
        state: 'OK',
        reason: 'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (0.0).',
        since: '2026-11-30T04:00:00.000Z',
        metric: {
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: 'JobQueue-QueuesNormalDeadLetterQueue' },
        },
        threshold: 0,
        comparison: 'GreaterThanThreshold',
      },
    ],
  });
});

test('ALARM first, then the rest by name, whatever order CloudWatch answers in', async () => {
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      alarm({ AlarmName: 'JobQueue-MonitoringD', StateValue: 'OK' }),
      alarm({ AlarmName: 'JobQueue-MonitoringC', StateValue: 'ALARM' }),
      alarm({ AlarmName: 'JobQueue-MonitoringA', StateValue: 'INSUFFICIENT_DATA' }),
      alarm({ AlarmName: 'JobQueue-MonitoringB', StateValue: 'ALARM' }),
    ],
  });
  const { alarms } = await listAlarms(ADMIN, apiDependencies());
  expect(alarms.map((entry) => [entry.name, entry.state])).toEqual([
    ['JobQueue-MonitoringB', 'ALARM'],
    ['JobQueue-MonitoringC', 'ALARM'],
    ['JobQueue-MonitoringA', 'INSUFFICIENT_DATA'],
    ['JobQueue-MonitoringD', 'OK'],
  ]);
});

test('follows NextToken through every page', async () => {
  cloudwatch
    .on(DescribeAlarmsCommand)
    .resolvesOnce({ MetricAlarms: [alarm({ AlarmName: 'JobQueue-Monitoring1' })], NextToken: 'page-2' })
    .resolvesOnce({ MetricAlarms: [alarm({ AlarmName: 'JobQueue-Monitoring2' })] });
  const { alarms } = await listAlarms(ADMIN, apiDependencies());
  expect(alarms.map((entry) => entry.name)).toEqual(['JobQueue-Monitoring1', 'JobQueue-Monitoring2']);
  expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[1]?.args[0].input.NextToken).toBe('page-2');
});

test('an alarm without a single metric (metric math) has no `metric`; no dimensions, no `dimensions`', async () => {
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      alarm({
        AlarmName: 'JobQueue-MonitoringMath',
        MetricName: undefined,
        Namespace: undefined,
        Dimensions: [],
      }),
      alarm({ AlarmName: 'JobQueue-MonitoringPlain', Dimensions: [] }),
    ],
  });
  const { alarms } = await listAlarms(ADMIN, apiDependencies());
  expect(alarms[0]).not.toHaveProperty('metric');
  expect(alarms[1]?.metric).toEqual({ namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible' });
});

test('through the router: 200 for an admin; 403 FORBIDDEN for a user, CloudWatch never asked', async () => {
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm({ StateValue: 'ALARM' })] });
  const deps = apiDependencies();
  const admin = await route(
    httpEvent('GET /v1/admin/alarms', '/v1/admin/alarms', { groups: '[admin]' }),
    deps,
  );
  expect(admin.statusCode).toBe(200);
  expect(parse(admin.body).alarms[0].state).toBe('ALARM');

  cloudwatch.reset();
  const user = await route(httpEvent('GET /v1/admin/alarms', '/v1/admin/alarms'), deps);
  expect(user.statusCode).toBe(403);
  expect(parse(user.body)).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
  expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
});

test('a CloudWatch failure is a 5xx in the contract’s shape, without the SDK’s words', async () => {
  cloudwatch
    .on(DescribeAlarmsCommand)
    .rejects(new Error('AccessDenied: not authorized to perform cloudwatch:DescribeAlarms'));
  const reply = await route(
    httpEvent('GET /v1/admin/alarms', '/v1/admin/alarms', { groups: '[admin]' }),
    apiDependencies(),
  );
  expect(reply.statusCode).toBeGreaterThanOrEqual(500);
  const body = parse(reply.body);
  expect(body.error.code).toEqual(expect.any(String));
  expect(JSON.stringify(body)).not.toContain('AccessDenied');
});
