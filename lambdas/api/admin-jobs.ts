import * as z from 'zod';
import { ValidationError } from '../core/errors';
import type { JobRecord, JobView } from '../core/job';
import { JOB_STATUSES, type JobStatus } from '../core/job-status';
import { type PartitionProgress, SEARCHABLE_STATUSES } from '../core/job-store';
import { logger } from '../core/observability';
import { MAX_PRIORITY_VALUE, MIN_PRIORITY_VALUE, PRIORITIES } from '../core/priority';
import { isAcceptableSubject, type User } from '../core/user';
import { limitParam, parseOrThrow } from '../core/validation';
import { requireAdmin } from './admin-queues';
import type { ApiDependencies } from './dependencies';
import { requeue } from './job-actions';
import { listedViewOf, listJobs } from './read-jobs';

/** Jobs a bulk retry re-queues at once (each is one conditional write). */
const RETRY_CONCURRENCY = 25;
/**
 * Status-index entries one bulk retry examines at most: up to 10 per job of the largest
 * `limit`, so a `type`/`priority` filter that matches one job in ten still fills it. Each
 * entry examined is one job read (0.5 read units), so a call costs ≤ 2,500 read units.
 */
const BULK_RETRY_EXAMINE_BUDGET = 10_000;

/**
 * A status-search cursor, before base64url: `<scope>|<p>,<p>,…` with one `p` per partition
 * of the status index searched: empty (not read yet), `-` (read to its end), or the last
 * entry taken there as `<createdAt in epoch ms, base 36>.<jobId>`. 32 partitions (a search
 * of every status) stay under 1.6 KB.
 */
const STATUS_CURSOR =
  /^([a-z]+)\|((?:[0-9a-z]{1,10}\.[0-9A-HJKMNP-TV-Z]{26}|-|)(?:,(?:[0-9a-z]{1,10}\.[0-9A-HJKMNP-TV-Z]{26}|-|))*)$/;
const MAX_CURSOR_LENGTH = 2048;

const invalidCursor = () =>
  new ValidationError('The cursor is invalid.', [
    { field: 'cursor', message: 'not a cursor this API returned' },
  ]);

const encodePosition = (position: PartitionProgress): string => {
  if (position === 'start') return '';
  if (position === 'end') return '-';
  return `${Date.parse(position.createdAt).toString(36)}.${position.jobId}`;
};

const decodePosition = (text: string): PartitionProgress => {
  if (text === '') return 'start';
  if (text === '-') return 'end';
  const [time = '', jobId = ''] = text.split('.');
  const createdAt = new Date(Number.parseInt(time, 36));
  if (Number.isNaN(createdAt.getTime())) throw invalidCursor();
  return { createdAt: createdAt.toISOString(), jobId };
};

const encodeStatusCursor = (scope: string, progress: readonly PartitionProgress[]): string =>
  Buffer.from(`${scope}|${progress.map(encodePosition).join(',')}`, 'utf8').toString('base64url');

/**
 * The positions a cursor of this API holds for `scope`, one per partition. Anything else —
 * another scope's cursor, a `GET /v1/jobs` cursor, a wrong count, an edited or re-encoded
 * one — is a 400 before any read. Cursors are not secret (the caller is an admin who may
 * read every job): a forged position only moves where the search starts.
 */
const decodeStatusCursor = (cursor: string, scope: string, partitions: number): PartitionProgress[] => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = STATUS_CURSOR.exec(text);
  if (!match || match[1] !== scope) throw invalidCursor();
  const progress = (match[2] ?? '').split(',').map(decodePosition);
  if (progress.length !== partitions || encodeStatusCursor(scope, progress) !== cursor) throw invalidCursor();
  return progress;
};

const searchQuerySchema = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    type: z.string().min(1).max(100).optional(),
    userId: z.string().refine(isAcceptableSubject, 'is not a user id').optional(),
    limit: limitParam(100).optional(),
    cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  })
  .strict();

const isSearchable = (status: JobStatus): boolean => SEARCHABLE_STATUSES.includes(status);

/**
 * GET /v1/admin/jobs: jobs of all users, newest first, listed exactly as GET /v1/jobs lists
 * them. Which index answers:
 * - `status` given: the status index, which holds only delayed, retrying, failed and
 *   cancelled jobs (a normally completed job never writes it); any other status is a 400
 *   naming those. `type` and `userId` filter the jobs read (at most LIST_EXAMINE_BUDGET
 *   entries a request; a rare match answers a short page with a cursor).
 * - no `status`, a `userId`: that user's own index, every status — GET /v1/jobs as that user
 *   would call it, cursors included.
 * - neither: every status the status index holds, merged newest first.
 */
export const searchJobs = async (
  query: Record<string, string | undefined>,
  user: User,
  deps: ApiDependencies,
): Promise<{ jobs: JobView[]; nextCursor: string | null }> => {
  requireAdmin(user);
  const parsed = parseOrThrow(searchQuerySchema, query, 'The search query is invalid.');
  const { status, type, userId } = parsed;
  if (status !== undefined && !isSearchable(status)) {
    const held = SEARCHABLE_STATUSES.join(', ');
    throw new ValidationError(
      `Admin search finds ${held} jobs; ${status} jobs are not in its index. Leave status out and give a userId to list one user's jobs of every status.`,
      [{ field: 'status', message: `must be one of ${held}` }],
    );
  }
  if (status === undefined && userId !== undefined) {
    return listJobs({ type, limit: query.limit, cursor: query.cursor }, { id: userId, isAdmin: false }, deps);
  }
  const statuses = status === undefined ? SEARCHABLE_STATUSES : [status];
  const scope = status ?? 'all';
  const partitions = statuses.flatMap((searched) => deps.store.statusPartitions(searched)).length;
  const page = await deps.store.searchByStatus({
    statuses,
    limit: parsed.limit ?? 20,
    resume: parsed.cursor === undefined ? undefined : decodeStatusCursor(parsed.cursor, scope, partitions),
    matches:
      type === undefined && userId === undefined
        ? undefined
        : (job) =>
            (type === undefined || job.type === type) && (userId === undefined || job.userId === userId),
  });
  return {
    jobs: await Promise.all(page.jobs.map((job) => listedViewOf(job, deps))),
    nextCursor: page.resume ? encodeStatusCursor(scope, page.resume) : null,
  };
};

const retryRequestSchema = z
  .object({
    // The statuses POST /v1/jobs/{jobId}/retry accepts.
    status: z.enum(['failed', 'cancelled']),
    type: z.string().min(1).max(100).optional(),
    // As at submission: a band name matches the band, a number the exact value.
    priority: z
      .union([z.enum(PRIORITIES), z.number().int().min(MIN_PRIORITY_VALUE).max(MAX_PRIORITY_VALUE)])
      .optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();

type RetryRequest = z.output<typeof retryRequestSchema>;

const matchesRetryRequest =
  (request: RetryRequest) =>
  (job: JobRecord): boolean =>
    (request.type === undefined || job.type === request.type) &&
    (request.priority === undefined ||
      (typeof request.priority === 'number'
        ? job.priorityValue === request.priority
        : job.priority === request.priority));

/**
 * POST /v1/admin/jobs/retry: re-queues up to `limit` matching jobs, newest first, each
 * exactly as POST /v1/jobs/{jobId}/retry does (attempts back to 0). A job that changed
 * meanwhile (its conditional write fails) is skipped and not counted. Unlike /retry, the
 * jobs do not count against the admin's own submission limit: `limit` (≤ 1000) bounds a
 * call. Retried jobs leave the status index's failed/cancelled partitions, so calling
 * again until `retried` is 0 retries every match; at most BULK_RETRY_EXAMINE_BUDGET
 * entries are examined a call.
 */
export const retryJobs = async (
  body: unknown,
  user: User,
  deps: ApiDependencies,
): Promise<{ retried: number }> => {
  requireAdmin(user);
  const request = parseOrThrow(retryRequestSchema, body, 'The bulk retry request is invalid.');
  const { jobs } = await deps.store.searchByStatus({
    statuses: [request.status],
    limit: request.limit,
    matches: matchesRetryRequest(request),
    examineBudget: BULK_RETRY_EXAMINE_BUDGET,
  });
  let retried = 0;
  for (let offset = 0; offset < jobs.length; offset += RETRY_CONCURRENCY) {
    const outcomes = await Promise.allSettled(
      jobs.slice(offset, offset + RETRY_CONCURRENCY).map((job) => requeue(job, deps)),
    );
    retried += outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value.ok).length;
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      // The table refused writes (throttling, an outage): stop here. What was re-queued is
      // the answer; with nothing re-queued, the failure is (a 500, and the caller retries).
      if (retried === 0) throw failure.reason;
      logger.warn('Bulk retry stopped early: the table refused writes', {
        retried,
        error: failure.reason,
      });
      break;
    }
  }
  return { retried };
};
