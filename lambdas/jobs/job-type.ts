import type * as z from 'zod';
import type { QuotaName } from '../core/daily-quota';
import type { Priority } from '../core/priority';
import type { User } from '../core/user';

/** What a running job's handler may report; all fields optional, percent 0–100. */
export interface ProgressUpdate {
  readonly percent?: number;
  readonly stage?: string;
  readonly message?: string;
  /** Bulk jobs: item counts so far. A change of counts is written at once, not coalesced. */
  readonly items?: {
    readonly total: number;
    readonly processed: number;
    readonly failed: number;
    /** Index of the item just finished. */
    readonly currentItem?: number;
  };
  /** When the job should finish, at the current pace. */
  readonly estimatedCompletionAt?: string;
}

/** A handler's minimal logger (Powertools' Logger satisfies it). */
export interface JobLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface JobContext<Payload> {
  readonly jobId: string;
  readonly userId: string;
  readonly payload: Payload;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Stable across redeliveries of one attempt: use it for side effects that must not repeat. */
  readonly idempotencyKey: string;
  readonly correlationId?: string;
  /** When the job was submitted (ISO): the day its daily quotas were drawn on. */
  readonly submittedAt?: string;
  /** Submitted by an admin: the daily quotas did not count it. @default false */
  readonly submittedByAdmin?: boolean;
  /** Aborted at the type's timeout, on a cancel request, or before the function's own deadline. */
  readonly signal: AbortSignal;
  /**
   * When `signal` aborts for time (epoch ms): the type's timeout or, earlier, the function's
   * own deadline. Long handlers stop before it to record what they did. @default unknown
   */
  readonly deadlineAt?: number;
  /** Records progress; writes are coalesced, so calling it often is cheap. */
  progress(update: ProgressUpdate): Promise<void>;
  readonly logger: JobLogger;
}

export type JobHandler<Payload> = (context: JobContext<Payload>) => Promise<unknown>;

export interface BackoffPolicy {
  /** First retry waits about this long; each further retry doubles it. */
  readonly baseSeconds: number;
  /** No retry waits longer than this. */
  readonly maxSeconds: number;
}

export interface JobTypeDefinition<Payload = unknown> {
  readonly name: string;
  readonly defaultPriority: Priority;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
  readonly backoff: BackoffPolicy;
  /**
   * Most jobs of this type started per second across all workers (a provider's rate,
   * e.g. SES or an AI API). Jobs over the rate wait in the queue; no attempt is used.
   * The stack may override it (context `jobqueue:jobRateLimits`). @default unlimited
   */
  readonly rateLimit?: { readonly perSecond: number };
  /**
   * Bulk types: how many items a payload makes (one row each under `GET /v1/jobs/{id}/items`);
   * the submit response then carries `estimatedCompletionAt`. @default not a bulk type
   */
  readonly bulkItems?: (payload: Payload) => number;
  /** Validates a submitted payload; the parsed value is what the handler receives. */
  readonly schema: z.ZodType<Payload>;
  /**
   * Submitted by the stack itself (schedules, admin routes): users get 403, admins may.
   * @default false
   */
  readonly system?: boolean;
  /**
   * Whether the caller may run this payload (e.g. only their own uploads, admin-only
   * options); throws an AppError (NotFoundError for someone else's file, ForbiddenError for
   * an admin-only option). Checked at submission and again by the worker before it runs
   * the job, with the submitter as the caller. @default anyone
   */
  readonly authorize?: (payload: Payload, caller: User) => void;
  /**
   * A per-user daily allowance each job of this type draws on at submission (admins are
   * not counted), e.g. email recipients. @default none
   */
  readonly dailyQuota?: { readonly name: QuotaName; readonly amount: (payload: Payload) => number };
  /**
   * Whether running this payload may end the worker's process (the `crash` diagnostic):
   * the worker runs such a job only after the rest of its batch has recorded its outcome.
   * @default never
   */
  readonly mayEndProcess?: (payload: Payload) => boolean;
  /**
   * For types where a newer version of an entity makes older queued jobs moot: the
   * entity key and version of a payload. The dispatcher records each submitted version
   * before the job is queued, so the handler can tell whether it is still the newest.
   */
  readonly supersedes?: (payload: Payload, userId: string) => { key: string; version: number };
  /**
   * Keys of the files a job of this type writes to the bucket as its own output (never the
   * user's uploads, nor anything other jobs share): removing the job removes them.
   * Deleting a key that was never written is a no-op, so list every key it may write.
   * @default none
   */
  readonly outputKeys?: (job: { readonly jobId: string; readonly userId: string }) => readonly string[];
  /** Loads the handler lazily, so a worker only evaluates the code of the types it runs. */
  readonly load: () => Promise<JobHandler<Payload>>;
}

/**
 * Builds a definition, checking that the handler accepts what the schema produces, then
 * erases the payload type so definitions of every type fit in one registry.
 */
export const defineJobType = <Schema extends z.ZodType>(
  definition: Omit<JobTypeDefinition<z.output<Schema>>, 'schema'> & { readonly schema: Schema },
): JobTypeDefinition => definition as unknown as JobTypeDefinition;
