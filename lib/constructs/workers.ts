import { Duration, Stack } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import { DEFAULT_WORKER_CONCURRENCY, PRIORITIES, type Priority } from '../../lambdas/core/priority';
import { findJobType, maxJobTimeoutSeconds } from '../../lambdas/jobs/registry';
import { PARSE_THREAD_ENTRY, PARSE_THREAD_NAME } from '../../lambdas/jobs/resume/parse-thread';
import { ConfigurationError, requireDomains, requireIntegerInRange } from '../validation';
import type { AiProvider } from './ai-provider';
import type { FileStore } from './file-store';
import type { JobTable } from './job-table';
import { type FunctionTracingProps, JobQueueFunction } from './node-function';
import type { PriorityQueues } from './priority-queues';
import type { ProgressSocket } from './progress-socket';
import type { WebhookSecret } from './webhook-secret';

/** Code the workers run in worker threads, bundled beside the handler: uploads are parsed there. */
export const WORKER_THREAD_ENTRIES: Readonly<Record<string, string>> = {
  [PARSE_THREAD_NAME]: PARSE_THREAD_ENTRY,
};

/** Seconds a worker function lives beyond the longest job type's timeout, to record the outcome. */
const OUTCOME_MARGIN_SECONDS = 30;

/** The worker timeout the registry requires: the longest job type's timeout plus a margin. */
export const workerTimeout = (): Duration =>
  Duration.seconds(maxJobTimeoutSeconds() + OUTCOME_MARGIN_SECONDS);

export const DEFAULT_CONCURRENCY = DEFAULT_WORKER_CONCURRENCY;

export interface WorkersProps extends FunctionTracingProps {
  readonly table: JobTable;
  readonly queues: PriorityQueues;
  readonly files: FileStore;
  /** Signs data.sync deliveries and says which addresses they may reach. */
  readonly webhookSecret: WebhookSecret;
  /** Where the ai.* jobs send completions, and the key they send (read by the workers only). */
  readonly ai: AiProvider;
  /** The WebSocket stage user.notify pushes its frames through (@connections). */
  readonly socket: ProgressSocket;
  /**
   * Most concurrent invocations per priority queue (the event source's maxConcurrency,
   * 2–1000), so a flood of low-priority jobs can never take critical capacity.
   * @default { critical: 50, high: 20, normal: 10, low: 5 }
   */
  readonly concurrency?: Partial<Record<Priority, number>>;
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long to gather a batch. @default no batching window */
  readonly maxBatchingWindow?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default workerTimeout() — the longest job type's timeout + 30 s */
  readonly timeout?: Duration;
  /**
   * Seconds a worker's lease on a running job lasts (3–300). A silent job renews it every
   * third of that, and the invocation keeps its messages invisible for twice that: a crashed
   * worker's job is recovered after about two leases. Shorter means faster recovery and
   * cancel for more writes. @default 30
   */
  readonly leaseSeconds?: number;
  readonly completedRetentionDays: number;
  readonly failedRetentionDays: number;
  /**
   * Sender of email.send: an SES identity verified in this account and region (the
   * address itself or its domain). @default 'no-reply@example.com' (set it to send for real)
   */
  readonly emailFrom?: string;
  /** Jobs started per second per type, overriding the registry (e.g. `{ "email.send": 1 }` in the SES sandbox). @default the registry's */
  readonly jobRateLimits?: Readonly<Record<string, number>>;
  /** Largest upload a job reads (checked again with HeadObject). @default 10 MiB */
  readonly maxUploadBytes?: number;
  /**
   * Domains users may email (checked again before each send); admins may email anyone.
   * @default none: users can send no email
   */
  readonly emailRecipientDomains?: readonly string[];
}

const EMAIL_ADDRESS = /^[^\s@<>]+@([^\s@<>]+\.[^\s@<>]+)$/;

/**
 * One worker function per priority queue, each with its own SQS event source, bounded by
 * the event source's maxConcurrency (not reserved concurrency, whose throttling would
 * push messages to the DLQ), with partial batch responses.
 */
export class Workers extends Construct {
  readonly functions: Readonly<Record<Priority, JobQueueFunction>>;
  /** UUIDs of the queue → worker event source mappings (what pause/resume switches). */
  readonly eventSourceMappingIds: Readonly<Record<Priority, string>>;
  private readonly eventSourceMappingArns: string[] = [];

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const batchSize = requireIntegerInRange(this, 'batchSize', props.batchSize ?? 10, 1, 10);
    const leaseSeconds = requireIntegerInRange(this, 'leaseSeconds', props.leaseSeconds ?? 30, 3, 300);
    const emailFrom = props.emailFrom ?? 'no-reply@example.com';
    const emailDomain = EMAIL_ADDRESS.exec(emailFrom)?.[1];
    if (!emailDomain)
      throw new ConfigurationError(
        this,
        `emailFrom must be an email address, got ${JSON.stringify(emailFrom)}`,
      );
    for (const [type, perSecond] of Object.entries(props.jobRateLimits ?? {})) {
      if (!findJobType(type))
        throw new ConfigurationError(this, `jobRateLimits names an unknown job type ${JSON.stringify(type)}`);
      requireIntegerInRange(this, `jobRateLimits.${type}`, perSecond, 1, 10_000);
    }
    const emailRecipientDomains = requireDomains(
      this,
      'emailRecipientDomains',
      props.emailRecipientDomains ?? [],
    );
    const stack = Stack.of(this);
    // SES v2 authorizes SendEmail on the sending identity: the address or its domain.
    const sendEmail = new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [emailFrom, emailDomain].map((identity) =>
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
      ),
    });
    const functions = {} as Record<Priority, JobQueueFunction>;
    const mappingIds = {} as Record<Priority, string>;
    for (const priority of PRIORITIES) {
      const maxConcurrency = requireIntegerInRange(
        this,
        `concurrency.${priority}`,
        props.concurrency?.[priority] ?? DEFAULT_CONCURRENCY[priority],
        2,
        1000,
      );
      const name = priority.charAt(0).toUpperCase() + priority.slice(1);
      const worker = new JobQueueFunction(this, `${name}Worker`, {
        tracing: props.tracing,
        entry: 'lambdas/worker/handler.ts',
        description: `Runs ${priority}-priority jobs`,
        runsJobs: true,
        timeout: props.timeout ?? workerTimeout(),
        memorySize: props.memorySize ?? 1024,
        // pdfkit reads its font metrics from disk; mammoth (DOCX) stays out of the bundle and
        // loads only when a DOCX arrives. pdf.js is bundled (into the parse thread's bundle):
        // installed, its optional native canvas build would add ~70 MB to every worker.
        // Uploads are parsed in a worker thread (parse-thread.ts), shipped as its own bundle.
        // exceljs (XLSX exports, with archiver and jszip: ≈ 1.25 MB of code) is installed
        // beside the bundle too, so a cold start parses none of it unless an XLSX export runs.
        nodeModules: ['pdfkit', 'mammoth', 'exceljs'],
        threadEntries: WORKER_THREAD_ENTRIES,
        environment: {
          [ENV.tableName]: props.table.table.tableName,
          [ENV.bucketName]: props.files.bucket.bucketName,
          [ENV.queueUrls]: JSON.stringify(props.queues.queueUrls),
          [ENV.workerPriority]: priority,
          [ENV.workerLeaseSeconds]: String(leaseSeconds),
          [ENV.completedRetentionDays]: String(props.completedRetentionDays),
          [ENV.failedRetentionDays]: String(props.failedRetentionDays),
          [ENV.emailFrom]: emailFrom,
          ...props.webhookSecret.environment,
          ...props.ai.environment,
          [ENV.maxUploadBytes]: String(props.maxUploadBytes ?? 10 * 1024 * 1024),
          [ENV.jobRateLimits]: JSON.stringify(props.jobRateLimits ?? {}),
          [ENV.emailRecipientDomains]: JSON.stringify(emailRecipientDomains),
          [ENV.webSocketCallbackUrl]: props.socket.callbackUrl,
        },
      });
      worker.addToRolePolicy(sendEmail);
      props.webhookSecret.grantRead(worker);
      props.ai.grantRead(worker);
      props.table.grantReadWriteData(worker);
      props.files.grantWorkerAccess(worker);
      props.files.grantExportWrite(worker);
      if (priority === findJobType('system.cleanup')?.defaultPriority) {
        // system.cleanup (a system type: always at its own priority) removes jobs with their
        // files and scans the table for completed ones.
        props.table.grantScan(worker);
        props.files.grantJobFileRemoval(worker);
      }
      // user.notify posts to its user's connections (and may be submitted at any priority):
      // execute-api:ManageConnections on this stage's @connections only.
      props.socket.grantManageConnections(worker);
      // Long delays are chained by re-sending into the job's priority queue.
      props.queues.grantSend(worker);
      // The event source grants the worker sqs:ChangeMessageVisibility on its own queue (and
      // only there), which is all the stalled-job detection needs (message-visibility.ts).

      const source = new SqsEventSource(props.queues.queues[priority], {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency,
        reportBatchItemFailures: true,
      });
      worker.addEventSource(source);
      mappingIds[priority] = source.eventSourceMappingId;
      this.eventSourceMappingArns.push(source.eventSourceMappingArn);
      functions[priority] = worker;
    }
    this.functions = functions;
    this.eventSourceMappingIds = mappingIds;
  }

  /** Lets `grantee` read and switch the workers' event source mappings (pause/resume). */
  grantPauseResume(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
      resourceArns: this.eventSourceMappingArns,
    });
  }

  metricErrors(priority: Priority, props?: MetricOptions): Metric {
    return this.functions[priority].metricErrors({ period: Duration.minutes(5), ...props });
  }

  metricThrottles(priority: Priority, props?: MetricOptions): Metric {
    return this.functions[priority].metricThrottles({ period: Duration.minutes(5), ...props });
  }
}
