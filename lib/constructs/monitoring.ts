import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import { PRIORITIES } from '../../lambdas/core/priority';
import { ConfigurationError, requireEmailAddress } from '../validation';
import type { JobApi } from './job-api';
import type { PriorityQueues } from './priority-queues';
import type { StreamConsumers } from './stream-consumers';
import type { Workers } from './workers';

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Which alarms to create. Each standard alarm costs $0.10 a month whether or not anything
 * runs, so the default keeps only those that say work is lost or stuck:
 * - `essential`: dead letters and the oldest waiting message per priority, dispatch lag,
 *   the replay of failed dispatch batches, and API 5xx (12 alarms, $1.20 a month);
 * - `all`: also messages near the end of their queue's retention, worker function errors
 *   and throttles per priority, and the notifier's lag and dropped batches (26 alarms).
 */
export type AlarmSet = 'essential' | 'all';

export interface MonitoringProps {
  readonly queues: PriorityQueues;
  readonly workers: Workers;
  readonly streams: StreamConsumers;
  readonly api: JobApi;
  /** Oldest-message age that raises an alarm. @default Duration.minutes(15) */
  readonly oldestMessageAgeThreshold?: Duration;
  /** Stream consumer lag that raises an alarm. @default Duration.minutes(5) */
  readonly iteratorAgeThreshold?: Duration;
  /**
   * Share of a work queue's retention period a message may wait before an alarm says it
   * will soon be deleted unread (a queue left paused, a stopped consumer). @default 0.5
   */
  readonly retentionAlarmFraction?: number;
  /** Age of a failed dispatch batch still not replayed that raises an alarm. @default Duration.hours(1) */
  readonly unreplayedDispatchAgeThreshold?: Duration;
  /** Which alarms to create (see AlarmSet). @default 'essential' */
  readonly alarms?: AlarmSet;
  /** A CloudWatch dashboard of the same metrics ($3 a month). @default false */
  readonly dashboard?: boolean;
  /**
   * One address that gets every alarm and every recovery by e-mail, once it has followed the
   * confirmation link SNS sends it. Other endpoints subscribe to `alarmTopic`.
   * @default no subscription
   */
  readonly alarmEmail?: string;
}

/**
 * The alarms an operator needs, published to a topic a person subscribes to, and on request
 * a dashboard of the queue's health.
 */
export class Monitoring extends Construct {
  /** Present when `dashboard` is set. */
  readonly dashboard: cloudwatch.Dashboard | undefined;
  readonly alarms: cloudwatch.Alarm[] = [];
  /**
   * Every alarm publishes here when it fires and when it recovers (KMS-encrypted, TLS only).
   * Subscribe e-mail, chat or paging endpoints to it.
   */
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const alarmEmail =
      props.alarmEmail === undefined ? undefined : requireEmailAddress(this, 'alarmEmail', props.alarmEmail);
    this.alarmTopic = this.createAlarmTopic();
    if (alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    const notify = new cloudwatchActions.SnsAction(this.alarmTopic);
    const ageSeconds = (props.oldestMessageAgeThreshold ?? Duration.minutes(15)).toSeconds();
    const iteratorMs = (props.iteratorAgeThreshold ?? Duration.minutes(5)).toMilliseconds();
    const retentionFraction = props.retentionAlarmFraction ?? 0.5;
    if (!(retentionFraction > 0 && retentionFraction < 1)) {
      throw new ConfigurationError(
        this,
        `retentionAlarmFraction must be between 0 and 1 (exclusive), got ${retentionFraction}`,
      );
    }
    const nearExpirySeconds = Math.floor(props.queues.retentionPeriod.toSeconds() * retentionFraction);
    const unreplayedSeconds = (props.unreplayedDispatchAgeThreshold ?? Duration.hours(1)).toSeconds();
    const all = (props.alarms ?? 'essential') === 'all';
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      // The recovery too: most of these alarms stay in ALARM until someone acts (a dead letter
      // waits to be redriven), and the OK message tells them it is over without a console.
      // No INSUFFICIENT_DATA action: missing data counts as not breaching, so an alarm only
      // reaches that state right after it is created.
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    for (const priority of PRIORITIES) {
      const name = priority.charAt(0).toUpperCase() + priority.slice(1);
      alarm(
        `${name}DeadLetters`,
        props.queues.metricDeadLetters(priority),
        0,
        `Messages in the ${priority} DLQ`,
      );
      alarm(
        `${name}OldestMessage`,
        props.queues.metricOldestMessageAge(priority),
        ageSeconds,
        `A ${priority} job has waited longer than ${ageSeconds} s`,
      );
      if (!all) continue;
      // Fires whether or not the queue is paused on purpose: a pause that outlives the
      // retention deletes the messages, and their jobs would wait for nothing. (The oldest
      // message alarm above has been in ALARM since minute 15 by then; this one says again.)
      alarm(
        `${name}MessagesNearExpiry`,
        props.queues.metricOldestMessageAge(priority),
        nearExpirySeconds,
        `A ${priority} message has waited ${nearExpirySeconds} s, ${Math.round(retentionFraction * 100)} % of the queue's retention; it is deleted unread at ${props.queues.retentionPeriod.toSeconds()} s (is the queue paused?)`,
      );
      alarm(
        `${name}WorkerErrors`,
        props.workers.metricErrors(priority),
        0,
        `${priority} worker invocations failed`,
      );
      alarm(
        `${name}WorkerThrottles`,
        props.workers.metricThrottles(priority),
        0,
        `${priority} worker was throttled`,
      );
    }
    for (const consumer of all ? (['dispatch', 'notify'] as const) : (['dispatch'] as const)) {
      alarm(
        `${consumer === 'dispatch' ? 'Dispatch' : 'Notify'}IteratorAge`,
        props.streams.metricIteratorAge(consumer),
        iteratorMs,
        `The ${consumer} stream consumer is falling behind`,
      );
    }
    alarm(
      'DispatchReplayStalled',
      props.streams.metricOldestUnreplayedAge(),
      unreplayedSeconds,
      'A failed dispatch batch is still not replayed (jobs saved but not queued): the fault persists',
    );
    alarm(
      'DispatchReplayDeadLetters',
      props.streams.metricReplayDeadLetters(),
      0,
      'A failed dispatch batch could not be replayed: its jobs may wait until the stranded-job sweep re-sends them',
    );
    if (all) {
      alarm(
        'NotifyBatchesDropped',
        props.streams.metricNotifyBatchesDropped(),
        0,
        'The notify stream consumer gave up on a batch: those WebSocket pushes were lost',
      );
    }
    alarm('ApiServerErrors', props.api.metricServerErrors(), 0, 'The HTTP API answered 5xx');

    if (!props.dashboard) {
      this.dashboard = undefined;
      return;
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Oldest waiting job (s)',
            left: PRIORITIES.map((priority) =>
              props.queues.metricOldestMessageAge(priority, { label: priority }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Dead letters',
            left: PRIORITIES.map((priority) => props.queues.metricDeadLetters(priority, { label: priority })),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Worker errors and throttles',
            left: PRIORITIES.map((priority) =>
              props.workers.metricErrors(priority, { label: `${priority} errors` }),
            ),
            right: PRIORITIES.map((priority) =>
              props.workers.metricThrottles(priority, { label: `${priority} throttles` }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Stream consumer lag (ms)',
            left: [
              props.streams.metricIteratorAge('dispatch', { label: 'dispatch' }),
              props.streams.metricIteratorAge('notify', { label: 'notify' }),
            ],
            width: 12,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }

  /**
   * The name every alarm of this construct starts with. CloudFormation names an unnamed alarm
   * `<stack name>-<logical id>-<random suffix>`, and every logical id here starts with this
   * construct's path; so the prefix is known at synth while the names are not, and a function
   * that watches the alarms needs no reference to them (the alarms watch the API function's
   * own metrics: a reference back would be a dependency cycle).
   */
  get alarmNamePrefix(): string {
    const stack = Stack.of(this);
    const ids = this.alarms.map((alarm) =>
      stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm),
    );
    const [first = ''] = ids;
    let length = first.length;
    for (const id of ids) while (!id.startsWith(first.slice(0, length))) length -= 1;
    return `${stack.stackName}-${first.slice(0, length)}`;
  }

  /**
   * Lets `fn` read the state of this construct's alarms (and no other's): DescribeAlarms
   * scoped to the alarm ARNs with the alarms' name prefix, which the function finds in
   * ENV.alarmNamePrefix. Call it after every alarm exists.
   */
  grantReadAlarms(fn: lambda.Function): iam.Grant {
    const prefix = this.alarmNamePrefix;
    fn.addEnvironment(ENV.alarmNamePrefix, prefix);
    // DescribeAlarms takes the `alarm` resource type, so the grant names our alarms only.
    // (It then returns no composite alarms, which require `*`; the stack has none.)
    const alarmArns = Stack.of(this).formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const grant = iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['cloudwatch:DescribeAlarms'],
      resourceArns: [alarmArns],
    });
    if (fn.role) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: `CloudFormation names the alarms at deploy time; the wildcard covers only this stack's alarms, whose names all start with ${prefix}.`,
            // A regex: the account and region are tokens or literals, depending on the stack's env.
            appliesTo: [{ regex: `/^Resource::arn:.+:cloudwatch:.+:alarm:${escapeRegex(prefix)}\\*$/g` }],
          },
        ],
        true,
      );
    }
    return grant;
  }

  /**
   * CloudWatch can only publish to an encrypted topic whose key lets it use the key, which the
   * AWS-managed `alias/aws/sns` never does; hence a key of our own ($1 a month) that allows
   * CloudWatch alarms of this account and region only.
   */
  private createAlarmTopic(): sns.Topic {
    const stack = Stack.of(this);
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm notifications of ${stack.stackName}`,
      enableKeyRotation: true,
      // It protects only the messages SNS holds while delivering them: nothing stays encrypted
      // under it once the topic is gone, so a destroyed stack should not keep paying for it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsEncryptNotifications',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      // The sender's name on the e-mails (at most 100 characters): which deployment is calling.
      displayName: `${stack.stackName.slice(0, 93)} alarms`,
      masterKey: key,
      enforceSSL: true,
      // SHA256 signatures on the messages SNS delivers (the default is SHA1).
      signatureVersion: '2',
    });
    // Any topic policy replaces SNS's default one, which is what let the account's alarms
    // publish; enforceSSL adds one, so the alarms are named here.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    return topic;
  }
}
