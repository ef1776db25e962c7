import { Duration } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import type { JobTable } from './job-table';
import { JobQueueFunction } from './node-function';
import type { PriorityQueues } from './priority-queues';
import type { ProgressSocket } from './progress-socket';

export interface StreamConsumersProps {
  readonly table: JobTable;
  readonly queues: PriorityQueues;
  readonly socket: ProgressSocket;
  /** Retries of a failing stream batch before it goes to the failure queue. @default 10 */
  readonly retryAttempts?: number;
}

/** Only job items (not counters, connections, ...) and only inserts and updates. */
const jobItemChanges = [
  lambda.FilterCriteria.filter({
    eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
    dynamodb: { NewImage: { SK: { S: lambda.FilterRule.isEqual('JOB') } } },
  }),
];

/** Job items deleted by their TTL: the dispatcher takes them out of the status gauges. */
const jobItemRemovals = lambda.FilterCriteria.filter({
  eventName: lambda.FilterRule.isEqual('REMOVE'),
  dynamodb: { OldImage: { SK: { S: lambda.FilterRule.isEqual('JOB') } } },
});

/**
 * The two consumers of the job table's stream (AWS's guidance: at most two per stream):
 * `dispatch` — the outbox that turns saved jobs into queue messages and keeps statistics —
 * and `notify`, which pushes job changes to WebSocket subscribers. Failing batches are
 * bisected, retried a bounded number of times, then recorded in a failure queue.
 */
export class StreamConsumers extends Construct {
  readonly dispatch: JobQueueFunction;
  readonly notify: JobQueueFunction;
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: StreamConsumersProps) {
    super(scope, id);
    this.failures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.failures, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the on-failure destination of the stream consumers.',
      },
    ]);

    this.dispatch = new JobQueueFunction(this, 'Dispatch', {
      entry: 'lambdas/stream/dispatch.ts',
      description: 'Outbox: sends queue messages for saved jobs and keeps statistics counters',
      timeout: Duration.seconds(60),
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.queueUrls]: JSON.stringify(props.queues.queueUrls),
      },
    });
    props.table.grantReadWriteData(this.dispatch);
    props.queues.grantSend(this.dispatch);

    this.notify = new JobQueueFunction(this, 'Notify', {
      entry: 'lambdas/stream/notify.ts',
      description: 'Pushes job changes to WebSocket subscribers',
      timeout: Duration.seconds(60),
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.webSocketCallbackUrl]: props.socket.callbackUrl,
      },
    });
    props.table.grantReadWriteData(this.notify);
    props.socket.grantManageConnections(this.notify);

    for (const [consumer, filters] of [
      [this.dispatch, [...jobItemChanges, jobItemRemovals]],
      [this.notify, jobItemChanges],
    ] as const) {
      consumer.addEventSource(
        new DynamoEventSource(props.table.table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: 100,
          bisectBatchOnError: true,
          retryAttempts: props.retryAttempts ?? 10,
          maxRecordAge: Duration.days(1),
          reportBatchItemFailures: true,
          onFailure: new SqsDlq(this.failures),
          filters: [...filters],
        }),
      );
    }
  }

  /** How far behind the stream a consumer is. */
  metricIteratorAge(consumer: 'dispatch' | 'notify', props?: MetricOptions): Metric {
    return this[consumer].metric('IteratorAge', {
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...props,
    });
  }
}
