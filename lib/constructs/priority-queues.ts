import { Duration } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PRIORITIES, type Priority } from '../../lambdas/core/priority';
import { ConfigurationError, requireIntegerInRange } from '../validation';

export interface PriorityQueuesProps {
  /**
   * Visibility timeout of each queue; must be at least 6 × `consumerTimeout`
   * (AWS's guidance for Lambda consumers). @default 6 × consumerTimeout
   */
  readonly visibilityTimeout?: Duration;
  /** Timeout of the functions consuming the queues. */
  readonly consumerTimeout: Duration;
  /** Receives before a message moves to its DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long a message may wait in a DLQ. @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
  /** How long a message may wait in a work queue (e.g. while it is paused). @default Duration.days(14) */
  readonly retentionPeriod?: Duration;
}

/**
 * One queue per priority band (critical, high, normal, low), each with its own DLQ,
 * SQS-managed encryption and TLS-only access.
 */
export class PriorityQueues extends Construct {
  readonly queues: Readonly<Record<Priority, sqs.Queue>>;
  readonly deadLetterQueues: Readonly<Record<Priority, sqs.Queue>>;
  /** How long a message waits in a work queue before SQS deletes it. */
  readonly retentionPeriod: Duration;

  constructor(scope: Construct, id: string, props: PriorityQueuesProps) {
    super(scope, id);
    const maxReceiveCount = requireIntegerInRange(
      this,
      'maxReceiveCount',
      props.maxReceiveCount ?? 5,
      1,
      1000,
    );
    const minimumVisibility = props.consumerTimeout.toSeconds() * 6;
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(minimumVisibility);
    if (visibilityTimeout.toSeconds() < minimumVisibility) {
      throw new ConfigurationError(
        this,
        `visibilityTimeout must be at least 6 × the consumer timeout (${minimumVisibility} s), got ${visibilityTimeout.toSeconds()} s`,
      );
    }
    if (visibilityTimeout.toSeconds() > 43_200) {
      throw new ConfigurationError(
        this,
        `visibilityTimeout must be at most 12 hours, got ${visibilityTimeout.toSeconds()} s`,
      );
    }
    this.retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    const queues = {} as Record<Priority, sqs.Queue>;
    const deadLetterQueues = {} as Record<Priority, sqs.Queue>;
    for (const priority of PRIORITIES) {
      const name = priority.charAt(0).toUpperCase() + priority.slice(1);
      const deadLetterQueue = new sqs.Queue(this, `${name}DeadLetterQueue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
      });
      deadLetterQueues[priority] = deadLetterQueue;
      queues[priority] = new sqs.Queue(this, `${name}Queue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout,
        retentionPeriod: this.retentionPeriod,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
      });
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
  }

  /** Queue URLs by priority, as the functions' QUEUE_URLS variable carries them. */
  get queueUrls(): Record<Priority, string> {
    return mapPriorities((priority) => this.queues[priority].queueUrl);
  }

  get deadLetterQueueUrls(): Record<Priority, string> {
    return mapPriorities((priority) => this.deadLetterQueues[priority].queueUrl);
  }

  /** Lets `grantee` send to every priority queue. */
  grantSend(grantee: IGrantable): Grant[] {
    return PRIORITIES.map((priority) => this.queues[priority].grantSendMessages(grantee));
  }

  /** Lets `grantee` read the depth attributes of every queue and DLQ. */
  grantReadAttributes(grantee: IGrantable): Grant[] {
    return PRIORITIES.flatMap((priority) =>
      [this.queues[priority], this.deadLetterQueues[priority]].map((queue) =>
        queue.grant(grantee, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
      ),
    );
  }

  /** Lets `grantee` peek, move and delete dead letters (admin routes). */
  grantManageDeadLetters(grantee: IGrantable): Grant[] {
    return PRIORITIES.map((priority) => this.deadLetterQueues[priority].grantConsumeMessages(grantee));
  }

  /** Messages waiting in the DLQ of `priority`. */
  metricDeadLetters(priority: Priority, props?: MetricOptions): Metric {
    return this.deadLetterQueues[priority].metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Age of the oldest message waiting in the queue of `priority`. */
  metricOldestMessageAge(priority: Priority, props?: MetricOptions): Metric {
    return this.queues[priority].metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }
}

const mapPriorities = <T>(map: (priority: Priority) => T): Record<Priority, T> =>
  Object.fromEntries(PRIORITIES.map((priority) => [priority, map(priority)])) as Record<Priority, T>;
