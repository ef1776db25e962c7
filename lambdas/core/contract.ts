/**
 * The shapes clients see of the HTTP and WebSocket contract (CONTRACT.md): the request
 * schemas the API validates with, and the response and frame types it answers with. The
 * API imports them from here and so does the typed client (`client/`, type-only), one
 * source for both. This module must stay free of Node and AWS imports: the client runs
 * in browsers, and a browser bundle's type check follows these imports.
 */
import * as z from 'zod';
import type { JobView } from './job';
import { JOB_STATUSES, type JobStatus } from './job-status';
import { MAX_PRIORITY_VALUE, MIN_PRIORITY_VALUE, PRIORITIES, type Priority } from './priority';
import { limitParam } from './validation';

export const MAX_ATTEMPTS_LIMIT = 25;

/** One job as a client submits it (`POST /v1/jobs`, each element of a batch). */
export const submitRequestSchema = z
  .object({
    type: z.string().min(1).max(100),
    payload: z.record(z.string(), z.unknown()),
    priority: z
      .union([z.enum(PRIORITIES), z.number().int().min(MIN_PRIORITY_VALUE).max(MAX_PRIORITY_VALUE)])
      .optional(),
    delaySeconds: z.number().int().min(0).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
    correlationId: z.string().min(1).max(128).optional(),
    entity: z
      .object({ name: z.string().min(1).max(128), id: z.string().min(1).max(256) })
      .strict()
      .optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((request) => request.delaySeconds === undefined || request.runAt === undefined, {
    message: 'give delaySeconds or runAt, not both',
    path: ['runAt'],
  });
export type SubmitRequest = z.infer<typeof submitRequestSchema>;

/** `GET /v1/jobs` query (query strings arrive as text; `limit` leaves as a number). */
export const listQuerySchema = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    type: z.string().min(1).max(100).optional(),
    limit: limitParam(100).optional(),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();
/** The filters of a job list as a program states them (before they become query text). */
export type ListQuery = z.output<typeof listQuerySchema>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = z
  .string()
  .regex(DAY, 'must be a UTC date YYYY-MM-DD')
  .refine(
    (text) =>
      !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
      new Date(`${text}T00:00:00Z`).toISOString().startsWith(text),
    'must be a real date',
  );
/** `GET /v1/stats` query: UTC days, inclusive. */
export const statsQuerySchema = z.object({ from: day.optional(), to: day.optional() }).strict();
export type StatsQuery = z.output<typeof statsQuerySchema>;

/** A file name without path separators or control characters (C0 range and DEL). */
const isPlainFileName = (name: string): boolean => {
  if (name === '.' || name === '..') return false;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '/' || char === '\\' || code < 0x20 || code === 0x7f) return false;
  }
  return true;
};

/** `POST /v1/uploads` body. */
export const uploadRequestSchema = z
  .object({
    fileName: z
      .string()
      .min(1)
      .max(255)
      .refine((name) => isPlainFileName(name), 'must be a plain file name'),
    contentType: z
      .string()
      .max(255)
      .regex(
        /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i,
        'must be a MIME type such as application/pdf',
      ),
    bytes: z.number().int().positive(),
  })
  .strict();
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

// ---- Responses ----

export type { JobView };

/** `POST /v1/uploads` answer: PUT the file to `uploadUrl` with exactly `headers`. */
export interface UploadGrant {
  readonly uploadUrl: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly fileKey: string;
  readonly expiresAt: string;
  readonly maxBytes: number;
}

export interface TypeSummary {
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  avgDurationMs: number | null;
}

export interface PrioritySummary {
  /** Live queue depths: admins only (they are everyone's jobs). */
  waiting?: number;
  inFlight?: number;
  delayed?: number;
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** `GET /v1/stats` answer. */
export interface StatsView {
  readonly window: { from: string; to: string };
  readonly totals: { submitted: number; completed: number; failed: number; cancelled: number };
  readonly byStatus: Record<JobStatus, number>;
  readonly byType: Record<string, TypeSummary>;
  readonly byPriority: Record<Priority, PrioritySummary>;
}

/** One priority queue as `GET /v1/queues` and pause/resume show it. */
export interface QueueEntry {
  readonly priority: Priority;
  readonly paused: boolean;
  readonly waiting: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dlq: number;
}

/** One dead letter as `GET /v1/queues/{priority}/dlq` shows it (`jobId` null: not a job message). */
export interface DeadLetter {
  readonly jobId: string | null;
  readonly receiveCount: number;
  readonly sentAt: string;
}

/** A CloudWatch alarm's state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One alarm of the stack as `GET /v1/admin/alarms` shows it. */
export interface AlarmEntry {
  /** The alarm's name in CloudWatch (CloudFormation's: `<stack>-<logical id>-<suffix>`). */
  readonly name: string;
  readonly description: string;
  readonly state: AlarmState;
  /** Why it is in that state, in CloudWatch's (or the local cloud's) words. */
  readonly reason: string;
  /** When the state last changed (ISO 8601). */
  readonly since: string;
  /** The one metric it watches; absent for an alarm on a metric math expression. */
  readonly metric?: {
    readonly namespace: string;
    readonly name: string;
    readonly dimensions?: Readonly<Record<string, string>>;
  };
  readonly threshold: number;
  /** CloudWatch's ComparisonOperator, e.g. `GreaterThanThreshold`. */
  readonly comparison: string;
}

// ---- WebSocket: server → client ----

export type PushType = 'job.status' | 'job.progress' | 'job.completed' | 'job.failed' | 'job.cancelled';

/** A change of a job pushed to its subscribers. */
export interface Push {
  readonly type: PushType;
  readonly jobId: string;
  readonly status: JobStatus;
  readonly at: string;
  /**
   * The job's `version` after the change that calls for the push. Every push of one change
   * shares it (one write, one version); a client drops a push whose version its snapshot
   * already covers, and the notifier skips those for a subscriber it snapshotted.
   */
  readonly version: number;
  readonly [field: string]: unknown;
}

/** The job as it stands, sent first on every subscription (so a reconnecting client catches up). */
export interface SnapshotFrame {
  readonly type: 'job.snapshot';
  readonly job: JobView;
  /** The job's payload or result was too large for a frame: read the job over HTTP. */
  readonly truncated?: true;
}

export interface UserNotification {
  readonly id: string;
  readonly at: string;
  readonly level: 'info' | 'warning' | 'error' | 'success';
  readonly title: string;
  readonly message: string;
  readonly link?: string;
}
