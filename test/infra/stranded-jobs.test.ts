import { Duration } from 'aws-cdk-lib';
import { JOB_STATUSES } from '../../lambdas/core/job-status';
import { isDispatchedRecord } from '../../lambdas/stream/replay-failed-batch';
import type { JobApi } from '../../lib/constructs/job-api';
import { Monitoring } from '../../lib/constructs/monitoring';
import type { PriorityQueues } from '../../lib/constructs/priority-queues';
import type { StreamConsumers } from '../../lib/constructs/stream-consumers';
import type { Workers } from '../../lib/constructs/workers';
import { passesFilters } from '../../local/event-filter';
import { logicalId, synth } from './synth';

/** Nothing stranded: failed dispatch batches are replayed, and every way out alarms. */
const { stack, template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;

const statementsOf = (pattern: RegExp) => {
  const fn = logicalId(template, 'AWS::Lambda::Function', pattern);
  const role = resources[fn]?.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => policy.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement) as {
    Action: string | string[];
    Resource: unknown;
  }[];
};

const REPLAY = /^StreamsReplayDispatch[0-9A-F]{8}$/;
const FAILURES = /^StreamsDispatchFailures[0-9A-F]{8}$/;
/** With every alarm (`alarms: 'all'`): the default set is a subset of it. */
const allAlarms = synth({ alarms: 'all' }).template;
const allAlarmResources = allAlarms.toJSON().Resources as Record<string, { Properties: any }>;
const alarmOf = (pattern: RegExp) =>
  allAlarmResources[logicalId(allAlarms, 'AWS::CloudWatch::Alarm', pattern)]?.Properties;
const mappingOf = (name: string) =>
  resources[logicalId(template, 'AWS::Lambda::EventSourceMapping', new RegExp(`^Streams${name}DynamoDB`))]
    ?.Properties;

describe('replaying failed dispatch batches', () => {
  test('the dispatcher gives up into its own failure queue, which the replay function consumes', () => {
    const failures = logicalId(template, 'AWS::SQS::Queue', FAILURES);
    expect(mappingOf('Dispatch').DestinationConfig.OnFailure.Destination).toEqual({
      'Fn::GetAtt': [failures, 'Arn'],
    });
    // Notify's lost pushes are not replayed: it keeps the other queue.
    expect(mappingOf('Notify').DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0]).not.toBe(failures);
    const replay = logicalId(template, 'AWS::Lambda::Function', REPLAY);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: replay },
      EventSourceArn: { 'Fn::GetAtt': [failures, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('the dispatcher gives a batch up at 6 h of age, so 18 h are left to read it back from the stream', () => {
    expect(mappingOf('Dispatch').MaximumRecordAgeInSeconds).toBe(6 * 3600);
    expect(mappingOf('Notify').MaximumRecordAgeInSeconds).toBe(24 * 3600);
  });

  test('a batch is retried every 6 minutes for 6 hours (inside the stream’s 24 h), then goes to a DLQ', () => {
    const failures = resources[logicalId(template, 'AWS::SQS::Queue', FAILURES)]?.Properties;
    expect(failures.VisibilityTimeout).toBe(360);
    expect(failures.RedrivePolicy.maxReceiveCount).toBe(60);
    expect(failures.VisibilityTimeout * failures.RedrivePolicy.maxReceiveCount).toBeLessThan(24 * 3600);
    expect(failures.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]).toMatch(
      /^StreamsDispatchReplayDeadLetters/,
    );
    const replay = resources[logicalId(template, 'AWS::Lambda::Function', REPLAY)]?.Properties;
    expect(failures.VisibilityTimeout).toBeGreaterThanOrEqual(6 * replay.Timeout);
  });

  test('the replay function reads the stream by sequence number and may send to the work queues', () => {
    const statements = statementsOf(REPLAY);
    const streamRead = statements.find((statement) =>
      [statement.Action].flat().includes('dynamodb:GetRecords'),
    );
    expect([streamRead?.Action].flat().sort()).toEqual(['dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
    expect(streamRead?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^JobsTable/), 'StreamArn'],
    });
    expect(
      statements.some(
        (statement) =>
          [statement.Action].flat().includes('sqs:SendMessage') &&
          /QueuesNormalQueue/.test(JSON.stringify(statement.Resource)),
      ),
    ).toBe(true);
  });

  test('the replay keeps exactly the records the dispatcher’s mapping filters pass', () => {
    const filters = mappingOf('Dispatch').FilterCriteria.Filters;
    const image = (sk: string, status?: string) => ({
      SK: { S: sk },
      ...(status ? { status: { S: status } } : {}),
    });
    const statuses = [undefined, ...JOB_STATUSES];
    const samples = ['INSERT', 'MODIFY', 'REMOVE'].flatMap((eventName) =>
      ['JOB', 'CONN', 'STATUS', 'ITEM#000001'].flatMap((sk) =>
        statuses.flatMap((from) =>
          statuses.flatMap((to) => [
            { eventName, dynamodb: { NewImage: image(sk, to) } },
            { eventName, dynamodb: { OldImage: image(sk, from) } },
            { eventName, dynamodb: { NewImage: image(sk, to), OldImage: image('JOB', from) } },
          ]),
        ),
      ),
    );
    let passed = 0;
    for (const record of samples) {
      const passes = passesFilters(filters, record);
      expect([record, isDispatchedRecord(record as never)]).toEqual([record, passes]);
      if (passes) passed += 1;
    }
    // Not vacuous: both answers occur.
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThan(samples.length);
  });

  test('claims and progress writes of a job pass none of the dispatcher’s filters; what needs a message does', () => {
    const filters = mappingOf('Dispatch').FilterCriteria.Filters;
    const change = (eventName: string, from: string | undefined, to: string | undefined) => ({
      eventName,
      dynamodb: {
        ...(to ? { NewImage: { SK: { S: 'JOB' }, status: { S: to } } } : {}),
        ...(from ? { OldImage: { SK: { S: 'JOB' }, status: { S: from } } } : {}),
      },
    });
    expect(passesFilters(filters, change('MODIFY', 'queued', 'processing'))).toBe(false);
    expect(passesFilters(filters, change('MODIFY', 'retrying', 'processing'))).toBe(false);
    expect(passesFilters(filters, change('MODIFY', 'processing', 'processing'))).toBe(false);
    expect(passesFilters(filters, change('MODIFY', 'delayed', 'queued'))).toBe(false);
    expect(passesFilters(filters, change('REMOVE', 'completed', undefined))).toBe(false);
    expect(passesFilters(filters, change('INSERT', undefined, 'queued'))).toBe(true);
    expect(passesFilters(filters, change('INSERT', undefined, 'delayed'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'processing', 'retrying'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'failed', 'queued'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'cancelled', 'queued'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'processing', 'completed'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'queued', 'cancelled'))).toBe(true);
    expect(passesFilters(filters, change('MODIFY', 'completed', 'completed'))).toBe(false);
  });
});

describe('alarms', () => {
  test('a failed dispatch batch still unreplayed after an hour alarms', () => {
    const alarm = alarmOf(/^MonitoringDispatchReplayStalled/);
    expect(alarm).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
    expect(JSON.stringify(alarm.Dimensions)).toMatch(/StreamsDispatchFailures/);
  });

  test('a batch that could not be replayed at all alarms at once', () => {
    const alarm = alarmOf(/^MonitoringDispatchReplayDeadLetters/);
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(JSON.stringify(alarm.Dimensions)).toMatch(/StreamsDispatchReplayDeadLetters/);
  });

  test('a notify batch given up on alarms', () => {
    const alarm = alarmOf(/^MonitoringNotifyBatchesDropped/);
    expect(alarm).toMatchObject({ MetricName: 'NumberOfMessagesSent', Threshold: 0, Statistic: 'Sum' });
    expect(JSON.stringify(alarm.Dimensions)).toMatch(/StreamsStreamFailures/);
  });

  test.each(['Critical', 'High', 'Normal', 'Low'])(
    'a paused %s queue alarms when its oldest message has waited half the retention period',
    (name) => {
      const queue = resources[logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}Queue`))];
      const retention = queue?.Properties.MessageRetentionPeriod;
      expect(retention).toBe(14 * 24 * 3600);
      const alarm = alarmOf(new RegExp(`^Monitoring${name}MessagesNearExpiry`));
      expect(alarm).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: retention / 2 });
      expect(JSON.stringify(alarm.Dimensions)).toContain(`Queues${name}Queue`);
    },
  );

  test.each([0, 1, 1.5, -0.2, Number.NaN])(
    'a retention alarm fraction of %s is refused at synth',
    (fraction) => {
      const part = <T>(id: string) => stack.node.findChild(id) as unknown as T;
      expect(
        () =>
          new Monitoring(stack, `Extra${String(fraction).replace(/\W/g, '')}`, {
            queues: part<PriorityQueues>('Queues'),
            workers: part<Workers>('Workers'),
            streams: part<StreamConsumers>('Streams'),
            api: part<JobApi>('Api'),
            retentionAlarmFraction: fraction,
            unreplayedDispatchAgeThreshold: Duration.hours(1),
          }),
      ).toThrow(/retentionAlarmFraction must be between 0 and 1/);
    },
  );
});

describe('the stranded-job sweep', () => {
  test('knows the work queues and may send to them (to re-send a lost message)', () => {
    const sweep = logicalId(template, 'AWS::Lambda::Function', /^SchedulesSweep[0-9A-F]{8}$/);
    const variables = resources[sweep]?.Properties.Environment.Variables;
    expect(JSON.stringify(variables.QUEUE_URLS)).toMatch(/QueuesLowQueue/);
    const sends = statementsOf(/^SchedulesSweep[0-9A-F]{8}$/).filter((statement) =>
      [statement.Action].flat().includes('sqs:SendMessage'),
    );
    expect(sends.map((statement) => JSON.stringify(statement.Resource)).join(' ')).toMatch(
      /QueuesCriticalQueue[\s\S]*QueuesHighQueue[\s\S]*QueuesNormalQueue[\s\S]*QueuesLowQueue/,
    );
  });
});
