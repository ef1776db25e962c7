import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger and tracer per execution environment (metrics: `metrics.ts`). Service name
 * and log level come from POWERTOOLS_* variables set by the stack: INFO, where the happy
 * path writes nothing — a line costs log bytes on every request or job — and failures,
 * retries and warnings are logged. Log lines about a job carry `jobId` and
 * `correlationId` (see `jobLogger`).
 */
export const logger = new Logger();
/**
 * Only what a bundle without tracing also has: there `@aws-lambda-powertools/tracer` is
 * `tracer-off.ts` (see `esbuildSettings`), so any other method would be missing at run time.
 */
export const tracer: Pick<Tracer, 'captureAWSv3Client'> = new Tracer();

/** A child logger whose every line names the job. */
export const jobLogger = (job: { jobId: string; correlationId?: string; type?: string }): Logger =>
  logger.createChild({
    persistentKeys: {
      jobId: job.jobId,
      ...(job.correlationId ? { correlationId: job.correlationId } : {}),
      ...(job.type ? { jobType: job.type } : {}),
    },
  });
