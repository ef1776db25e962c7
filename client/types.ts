/**
 * The client's types, all derived (type-only) from the API's own schemas and views in
 * lambdas/core, so the client and the API cannot disagree. Nothing here exists at runtime.
 */
import type * as z from 'zod';
import type {
  AlarmEntry,
  AlarmState,
  DeadLetter,
  ListQuery,
  Push,
  PushType,
  QueueEntry,
  SnapshotFrame,
  StatsQuery,
  StatsView,
  SubmitRequest,
  submitRequestSchema,
  UploadGrant,
  UserNotification,
} from '../lambdas/core/contract';
import type { ItemCounts, JobError, JobEvent, JobProgress, JobView } from '../lambdas/core/job';
import type { JobStatus } from '../lambdas/core/job-status';
import type { Priority } from '../lambdas/core/priority';
import type { ApiErrorBody } from './errors';

export type {
  AlarmEntry,
  AlarmState,
  DeadLetter,
  ItemCounts,
  JobError,
  JobEvent,
  JobProgress,
  JobStatus,
  Priority,
  QueueEntry,
  StatsQuery,
  StatsView,
  SubmitRequest,
  UploadGrant,
  UserNotification,
};

/** A job as the API shows it. */
export type Job = JobView;

/** What `submit` takes besides type and payload: the rest of the submit body, and the Idempotency-Key header. */
export type SubmitOptions = Omit<z.input<typeof submitRequestSchema>, 'type' | 'payload'> & {
  /** Same key and body within 24 h: the first job comes back and nothing new is queued. */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
};

/** One element of `submitBatch`. */
export type BatchSubmission = SubmitRequest;

/** One answer of a batch, in input order: the job, or why that entry was refused. */
export type BatchEntry =
  | { readonly ok: true; readonly job: Job }
  | { readonly ok: false; readonly error: ApiErrorBody };

/** Filters of `list`/`listPage`; `limit` is the page size (1–100). */
export type ListFilters = Omit<ListQuery, 'cursor'>;

/** Filters of the admin job search across all users. */
export type AdminListFilters = ListFilters & { readonly userId?: string };

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface JobPage {
  readonly jobs: Job[];
  readonly nextCursor: string | null;
}

/** One item of a bulk job (`GET /v1/jobs/{jobId}/items`). */
export interface JobItem {
  readonly index: number;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly result?: unknown;
  readonly error?: JobError;
}

export interface ItemPage {
  readonly items: JobItem[];
  readonly nextCursor: string | null;
}

/**
 * Body of `POST /v1/admin/jobs/retry`. Written from the contract while its route was built
 * on another branch; its schema (lambdas/api/admin-jobs.ts) belongs in contract.ts.
 */
export interface BulkRetryRequest {
  readonly status: 'failed' | 'cancelled';
  readonly type?: string;
  /** A band name matches the band, a number (1–20) the exact value. */
  readonly priority?: Priority | number;
  /** 1–1000, default 100. */
  readonly limit?: number;
}

/** Body of `POST /v1/admin/clean`. */
export interface CleanRequest {
  readonly status: 'completed' | 'failed' | 'cancelled';
  readonly olderThanDays: number;
  readonly type?: string;
}

export interface WebhookSecret {
  readonly secret: string;
  readonly algorithm: string;
  readonly header: string;
  readonly signs: string;
}

export interface Health {
  readonly status: string;
  readonly checks: Record<string, unknown>;
}

/** What `upload` takes: the bytes and how S3 should label them. */
export interface UploadInput {
  readonly data: Blob | ArrayBuffer | Uint8Array | string;
  readonly fileName: string;
  /** @default the Blob's type, else application/octet-stream */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface UploadResult {
  readonly fileKey: string;
  readonly bytes: number;
  readonly expiresAt: string;
}

/** A push for one job (`job.status`, `job.progress`, `job.completed`, `job.failed`, `job.cancelled`). */
export type JobPush = Push & {
  readonly progress?: JobProgress;
  readonly items?: ItemCounts;
  readonly error?: JobError;
  readonly result?: unknown;
  readonly estimatedCompletionAt?: string;
  readonly truncated?: true;
};
export type { PushType };

export type JobSnapshot = SnapshotFrame;

/** A frame `watch` yields: a job's snapshot or push, each with the job's `version`. */
export type JobFrame = JobSnapshot | JobPush;

export interface NotificationFrame {
  readonly type: 'user.notification';
  readonly notification: UserNotification;
}

/** What `watch("all")` yields: job frames of every job of the caller, and their notifications. */
export type WatchAllFrame = JobFrame | NotificationFrame;
