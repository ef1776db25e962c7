import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import type { JobTable } from './job-table';
import { type FunctionTracingProps, JobQueueFunction } from './node-function';
import type { PriorityQueues } from './priority-queues';

export interface ScheduledJob {
  /** Registered job type to submit. */
  readonly type: string;
  readonly schedule: events.Schedule;
  /** @default {} */
  readonly payload?: Record<string, unknown>;
}

export interface SchedulesProps extends FunctionTracingProps {
  readonly table: JobTable;
  /** The sweep re-sends the message of a job left waiting without one. */
  readonly queues: PriorityQueues;
  readonly completedRetentionDays: number;
  readonly failedRetentionDays: number;
  /** How often jobs left waiting without a message are looked for. @default Duration.minutes(1) */
  readonly sweepInterval?: Duration;
  /** Jobs submitted on a schedule. @default analytics.rollup every 5 minutes */
  readonly scheduledJobs?: ScheduledJob[];
}

/**
 * Periodic work: the stranded-job sweep, and rules that submit jobs on a schedule (each a
 * normal job, so it gets retries, statistics and an audit trail like any other). Stalled
 * jobs (a lost worker) need no sweep: their own message's visibility brings them back.
 */
export class Schedules extends Construct {
  readonly sweep: JobQueueFunction;
  readonly submitter: JobQueueFunction;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const retention = {
      [ENV.completedRetentionDays]: String(props.completedRetentionDays),
      [ENV.failedRetentionDays]: String(props.failedRetentionDays),
    };
    this.sweep = new JobQueueFunction(this, 'Sweep', {
      tracing: props.tracing,
      entry: 'lambdas/worker/sweep.ts',
      description: 'Re-sends the messages of jobs left waiting',
      timeout: Duration.seconds(60),
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.queueUrls]: JSON.stringify(props.queues.queueUrls),
        ...retention,
      },
    });
    props.table.grantReadWriteData(this.sweep);
    props.queues.grantSend(this.sweep);
    new events.Rule(this, 'SweepRule', {
      description: 'Stranded-job sweep',
      schedule: events.Schedule.rate(props.sweepInterval ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.sweep, { retryAttempts: 2 })],
    });

    this.submitter = new JobQueueFunction(this, 'SubmitScheduledJob', {
      tracing: props.tracing,
      entry: 'lambdas/schedules/submit-job.ts',
      description: 'Submits the job named by a scheduled rule',
      timeout: Duration.seconds(15),
      environment: { [ENV.tableName]: props.table.table.tableName, ...retention },
    });
    props.table.grantReadWriteData(this.submitter);
    const scheduledJobs = props.scheduledJobs ?? [
      { type: 'analytics.rollup', schedule: events.Schedule.rate(Duration.minutes(5)) },
    ];
    scheduledJobs.forEach((job, index) => {
      new events.Rule(this, `Submit${index}`, {
        description: `Submits ${job.type}`,
        schedule: job.schedule,
        targets: [
          new targets.LambdaFunction(this.submitter, {
            event: events.RuleTargetInput.fromObject({
              type: job.type,
              payload: job.payload ?? {},
              time: events.EventField.time,
            }),
            retryAttempts: 2,
          }),
        ],
      });
    });
  }
}
