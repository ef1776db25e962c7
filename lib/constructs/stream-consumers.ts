import { Duration } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import { FINISHED_STATUSES, WAITING_STATUSES } from '../../lambdas/stream/dispatch-rule';
import { requireIntegerInRange } from '../validation';
import type { JobTable } from './job-table';
import { type FunctionTracingProps, JobQueueFunction } from './node-function';
import type { PriorityQueues } from './priority-queues';
import type { ProgressSocket } from './progress-socket';

export interface StreamConsumersProps extends FunctionTracingProps {
  readonly table: JobTable;
  readonly queues: PriorityQueues;
  readonly socket: ProgressSocket;
  /** Retries of a failing stream batch before it goes to the failure queue. @default 10 */
  readonly retryAttempts?: number;
  /**
   * Times a failed dispatch batch is replayed (one try per visibility timeout, 6 min)
   * before its message goes to the replay DLQ. Keep the total well inside the stream's
   * 24 h retention, so the records can still be read when someone looks. @default 60 (6 h)
   */
  readonly replayAttempts?: number;
  /**
   * Batches of one stream shard the dispatcher handles at once (ParallelizationFactor,
   * 1–10). Records are spread by partition key, so one job's changes stay in order while a
   * flood of other jobs no longer holds a critical job's record behind it — at a price:
   * a burst is cut into up to that many smaller batches, each an invocation with its own
   * statistics writes (measured with 10 locally: 0.35 dispatcher invocations a job in
   * batches of 100 instead of 0.06, +$0.6 per million jobs). @default 1
   */
  readonly dispatchParallelization?: number;
}

const JOB_ITEM = { SK: { S: lambda.FilterRule.isEqual('JOB') } };

/** A job item's status moving into `into` from any status outside it. */
const statusEntering = (into: readonly string[]) =>
  lambda.FilterCriteria.filter({
    eventName: lambda.FilterRule.isEqual('MODIFY'),
    dynamodb: {
      NewImage: { ...JOB_ITEM, status: { S: [...into] } },
      OldImage: { status: { S: [{ 'anything-but': [...into] }] } },
    },
  });

/**
 * Only what the dispatcher acts on (the rule of lambdas/stream/dispatch-rule.ts, which the
 * replay of a failed batch applies to the records it reads back): new jobs, jobs that
 * start waiting (their next message) and jobs that end (their counters). Claims and
 * progress writes (`processing`), flags on a finished job and TTL removals invoke nothing.
 */
const dispatchedChanges = [
  lambda.FilterCriteria.filter({
    eventName: lambda.FilterRule.isEqual('INSERT'),
    dynamodb: { NewImage: JOB_ITEM },
  }),
  statusEntering(WAITING_STATUSES),
  statusEntering(FINISHED_STATUSES),
];

/**
 * Notify sees only changes of watched jobs (the flag a subscription sets on the job, or
 * that a job is born with when its owner has a user-wide subscription): a job nobody
 * watches costs the notifier no invocation and no subscription query. `user.notification`
 * frames do not come this way (they are not job changes), so nothing of theirs is lost.
 */
const watchedJobChanges = [
  lambda.FilterCriteria.filter({
    eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
    dynamodb: {
      NewImage: {
        SK: { S: lambda.FilterRule.isEqual('JOB') },
        watched: { BOOL: lambda.FilterRule.isEqual(true) },
      },
    },
  }),
];

/**
 * The two consumers of the job table's stream (AWS's guidance: at most two per stream):
 * `dispatch` — the outbox that turns saved jobs into queue messages and keeps statistics —
 * and `notify`, which pushes job changes to WebSocket subscribers. Failing batches are
 * bisected, retried a bounded number of times, then recorded in a failure queue.
 *
 * A dispatch batch given up on would strand its jobs (saved, never sent), so its failure
 * queue has a consumer, `replayDispatch`, that reads the named records back from the
 * stream and dispatches them again once the fault clears (SQS retries it meanwhile),
 * with its own DLQ and alarms (see Monitoring) for when it cannot. A notify batch given
 * up on only loses pushes (clients catch up with the snapshot on subscribe), so its
 * failures are counted and alarmed on, not replayed.
 */
export class StreamConsumers extends Construct {
  readonly dispatch: JobQueueFunction;
  readonly notify: JobQueueFunction;
  /** On-failure destination of notify. */
  readonly failures: sqs.Queue;
  /** On-failure destination of dispatch, consumed by `replayDispatch`. */
  readonly dispatchFailures: sqs.Queue;
  /** Failure messages `replayDispatch` could not replay in time. */
  readonly replayDeadLetters: sqs.Queue;
  readonly replayDispatch: JobQueueFunction;

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

    this.replayDeadLetters = new sqs.Queue(this, 'DispatchReplayDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.replayDeadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the DLQ of the dispatch failure queue.' },
    ]);
    const replayTimeout = Duration.seconds(60);
    const replayAttempts = requireIntegerInRange(this, 'replayAttempts', props.replayAttempts ?? 60, 1, 200);
    this.dispatchFailures = new sqs.Queue(this, 'DispatchFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // AWS's guidance for Lambda consumers; also the pause between two replays of a batch.
      visibilityTimeout: Duration.seconds(replayTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.replayDeadLetters, maxReceiveCount: replayAttempts },
    });

    this.dispatch = new JobQueueFunction(this, 'Dispatch', {
      tracing: props.tracing,
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

    this.replayDispatch = new JobQueueFunction(this, 'ReplayDispatch', {
      tracing: props.tracing,
      entry: 'lambdas/stream/replay-dispatch.ts',
      description: 'Reads failed dispatch batches back from the stream and dispatches them again',
      timeout: replayTimeout,
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.queueUrls]: JSON.stringify(props.queues.queueUrls),
      },
    });
    props.table.grantReadWriteData(this.replayDispatch);
    props.table.grantStreamRecordsRead(this.replayDispatch);
    props.queues.grantSend(this.replayDispatch);
    this.replayDispatch.addEventSource(
      new SqsEventSource(this.dispatchFailures, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );

    this.notify = new JobQueueFunction(this, 'Notify', {
      tracing: props.tracing,
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

    // Dispatch gives a batch up at 6 h of age (e.g. throttled all along), not at the
    // stream's 24 h retention: its replay must still find the records in the stream.
    const dispatchParallelization = requireIntegerInRange(
      this,
      'dispatchParallelization',
      props.dispatchParallelization ?? 1,
      1,
      10,
    );
    for (const [consumer, filters, onFailure, maxRecordAge, parallelizationFactor] of [
      [this.dispatch, dispatchedChanges, this.dispatchFailures, Duration.hours(6), dispatchParallelization],
      [this.notify, watchedJobChanges, this.failures, Duration.days(1), 1],
    ] as const) {
      consumer.addEventSource(
        new DynamoEventSource(props.table.table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: 100,
          bisectBatchOnError: true,
          retryAttempts: props.retryAttempts ?? 10,
          maxRecordAge,
          reportBatchItemFailures: true,
          onFailure: new SqsDlq(onFailure),
          filters: [...filters],
          parallelizationFactor,
        }),
      );
    }
  }

  /** Age of the oldest failed dispatch batch not yet replayed (the fault persists). */
  metricOldestUnreplayedAge(props?: MetricOptions): Metric {
    return this.dispatchFailures.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Failed dispatch batches that could not be replayed at all. */
  metricReplayDeadLetters(props?: MetricOptions): Metric {
    return this.replayDeadLetters.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Notify batches given up on (their pushes are lost; clients re-read on subscribe). */
  metricNotifyBatchesDropped(props?: MetricOptions): Metric {
    return this.failures.metricNumberOfMessagesSent({
      period: Duration.minutes(5),
      statistic: 'Sum',
      ...props,
    });
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
