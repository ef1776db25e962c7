import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ContextError, stackPropsFromContext } from '../../lib/app-context';
import { JobQueueStack } from '../../lib/job-queue-stack';
import { ConfigurationError, requireEmailAddress } from '../../lib/validation';
import { logicalId, nagFindings, synth } from './synth';

type Resources = Record<string, { Type: string; Properties: any }>;
interface Statement {
  readonly Effect: string;
  readonly Principal: { readonly Service?: string } | string;
  readonly Action: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const essential = synth().template;
const everything = synth({ alarms: 'all', dashboard: true, alarmEmail: 'ops@example.com' });
const all = everything.template;

const resourcesOf = (template: Template) => template.toJSON().Resources as Resources;
const topicOf = (template: Template) => logicalId(template, 'AWS::SNS::Topic', /^MonitoringAlarmTopic/);
const keyOf = (template: Template) => logicalId(template, 'AWS::KMS::Key', /^MonitoringAlarmTopicKey/);
const alarmsOf = (template: Template) =>
  Object.entries(resourcesOf(template)).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');

/**
 * AWS Control Tower's proactive control CT.CLOUDWATCH.PR.1, as its cfn-guard rule states it:
 * every alarm has `AlarmActions`, a non-empty list. Returns the alarms that fail it.
 */
const failingCtCloudwatchPr1 = (template: Template) =>
  alarmsOf(template)
    .filter(
      ([, alarm]) =>
        !Array.isArray(alarm.Properties.AlarmActions) || alarm.Properties.AlarmActions.length === 0,
    )
    .map(([id]) => id);

describe('every alarm reaches the alarm topic', () => {
  test.each([
    ['essential', 12, essential],
    ['all', 26, all],
  ])(
    'alarms "%s": all %i publish to the topic when they fire and when they recover',
    (_, count, template) => {
      const alarms = alarmsOf(template);
      expect(alarms).toHaveLength(count);
      const topic = { Ref: topicOf(template) };
      for (const [, alarm] of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([topic]);
        expect(alarm.Properties.OKActions).toEqual([topic]);
        expect(alarm.Properties.InsufficientDataActions).toBeUndefined();
      }
    },
  );

  test('CT.CLOUDWATCH.PR.1 (an action for the alarm state) holds for the whole template, with either alarm set', () => {
    expect(alarmsOf(essential).length).toBeGreaterThan(0);
    expect(failingCtCloudwatchPr1(essential)).toEqual([]);
    expect(failingCtCloudwatchPr1(all)).toEqual([]);
  });

  test('one topic for all of them, published as a stack output to subscribe other endpoints to', () => {
    all.resourceCountIs('AWS::SNS::Topic', 1);
    expect(all.toJSON().Outputs.AlarmTopicArn.Value).toEqual({ Ref: topicOf(all) });
    expect(essential.toJSON().Outputs.AlarmTopicArn.Value).toEqual({ Ref: topicOf(essential) });
  });
});

describe('the alarm topic', () => {
  const resources = resourcesOf(essential);

  test('is encrypted with a key of the stack that rotates (the stack’s only key: $1 a month)', () => {
    const key = keyOf(essential);
    expect(resources[topicOf(essential)]?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(resources[key]?.Properties.EnableKeyRotation).toBe(true);
    essential.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('its key lets CloudWatch alarms of this account and region, and no other service, encrypt notifications', () => {
    const statements = resources[keyOf(essential)]?.Properties.KeyPolicy.Statement as Statement[];
    const forServices = statements.filter(
      (statement) => typeof statement.Principal === 'object' && statement.Principal.Service !== undefined,
    );
    expect(forServices).toHaveLength(1);
    expect(forServices[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(JSON.stringify(forServices[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(
      /:cloudwatch:.*AWS::Region.*AWS::AccountId.*:alarm:\*/,
    );
  });

  test('refuses publishing without TLS and admits CloudWatch alarms of this account only', () => {
    const policy = logicalId(essential, 'AWS::SNS::TopicPolicy', /^MonitoringAlarmTopicPolicy/);
    const topic = { Ref: topicOf(essential) };
    expect(resources[policy]?.Properties.Topics).toEqual([topic]);
    const statements = resources[policy]?.Properties.PolicyDocument.Statement as Statement[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: '*',
        Resource: topic,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: expect.objectContaining({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        }),
      }),
    ]);
  });

  test('has no subscriber unless an alarm e-mail is set; then that address, by e-mail', () => {
    essential.resourceCountIs('AWS::SNS::Subscription', 0);
    all.resourceCountIs('AWS::SNS::Subscription', 1);
    all.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicOf(all) },
    });
  });

  test('cdk-nag finds nothing unsuppressed with every alarm and a subscriber', () => {
    expect(nagFindings(everything.stack, 'error')).toEqual([]);
    expect(nagFindings(everything.stack, 'warning')).toEqual([]);
  });
});

describe('jobqueue:alarmEmail', () => {
  const read = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

  test('subscribes the address given as context', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [], 'jobqueue:alarmEmail': 'oncall@example.com' },
    });
    const { nag: _, ...props } = stackPropsFromContext(app.node);
    const stack = new JobQueueStack(app, 'FromContext', props);
    const subscriptions = Object.values(resourcesOf(Template.fromStack(stack))).filter(
      (resource) => resource.Type === 'AWS::SNS::Subscription',
    );
    expect(subscriptions.map((subscription) => subscription.Properties.Endpoint)).toEqual([
      'oncall@example.com',
    ]);
  });

  test('is unset by default', () => {
    expect(read({}).alarmEmail).toBeUndefined();
  });

  test.each([[42], [['ops@example.com']], [{ email: 'ops@example.com' }]])('refuses %p', (value) => {
    expect(() => read({ 'jobqueue:alarmEmail': value })).toThrow(ContextError);
    expect(() => read({ 'jobqueue:alarmEmail': value })).toThrow(
      /jobqueue:alarmEmail must be an email address/,
    );
  });

  test('a bad address fails synth and names the value', () => {
    expect(() => synth({ alarmEmail: 'ops@localhost' })).toThrow(ConfigurationError);
    expect(() => synth({ alarmEmail: 'ops@localhost' })).toThrow(
      /Monitoring: alarmEmail must be one e-mail address such as ops@example.com, got "ops@localhost"/,
    );
  });
});

describe('an alarm e-mail address', () => {
  const scope = new Stack();

  test.each([
    'ops@example.com',
    'ops+jobqueue@mail.example.co.uk',
    "o'brien@example.ie",
    'first.last@xn--bcher-kva.example',
  ])('%s is one', (address) => {
    expect(requireEmailAddress(scope, 'alarmEmail', address)).toBe(address);
  });

  test.each([
    '',
    'ops',
    '@example.com',
    'ops@',
    'ops@localhost',
    'ops@@example.com',
    'ops @example.com',
    'Ops <ops@example.com>',
    'a@example.com,b@example.com',
    'a@example.com b@example.com',
    'ops.@example.com',
    `${'a'.repeat(65)}@example.com`,
  ])('%p is not', (address) => {
    expect(() => requireEmailAddress(scope, 'alarmEmail', address)).toThrow(
      /alarmEmail must be one e-mail address/,
    );
  });
});
