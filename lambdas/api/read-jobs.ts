import { INLINE_RESULT_LIMIT_BYTES } from '../core/claim-check';
import { listQuerySchema } from '../core/contract';
import { NotFoundError, ValidationError } from '../core/errors';
import { ItemStore } from '../core/item-store';
import { type JobRecord, type JobView, toJobView } from '../core/job';
import { canSee, type User } from '../core/user';
import { parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

/** Job ids are ULIDs; anything else cannot name a job. */
const JOB_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A user-index sort key: `<createdAt ISO>#<jobId>`. */
const LIST_POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9A-HJKMNP-TV-Z]{26}$/;

const encodeCursor = (position: string): string => Buffer.from(position, 'utf8').toString('base64url');

const decodeCursor = (cursor: string, shape: RegExp): string => {
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!shape.test(position) || encodeCursor(position) !== cursor) {
    throw new ValidationError('The cursor is invalid.', [
      { field: 'cursor', message: 'not a cursor this API returned' },
    ]);
  }
  return position;
};

/**
 * The job, if it exists and the caller may see it. A job of someone else, an expired job
 * and a malformed id all answer the same 404, so ids reveal nothing.
 */
export const findVisibleJob = async (
  jobId: string | undefined,
  user: User,
  deps: ApiDependencies,
): Promise<JobRecord> => {
  if (!jobId || !JOB_ID.test(jobId)) throw new NotFoundError('No such job.');
  const job = await deps.store.get(jobId);
  if (!job || !canSee(user, job)) throw new NotFoundError('No such job.');
  return job;
};

/** The job as clients see it, with an offloaded (large) payload and result read back in. */
export const viewOf = async (job: JobRecord, deps: ApiDependencies): Promise<JobView> =>
  toJobView(await deps.claimCheck.resolve(job));

/** GET /v1/jobs/{jobId}. */
export const getJob = async (
  jobId: string | undefined,
  user: User,
  deps: ApiDependencies,
): Promise<JobView> => viewOf(await findVisibleJob(jobId, user, deps), deps);

/**
 * A job of a list page: its payload read back in (≤ 256 KB, the request body limit) and a
 * result that left the item only to make room (≤ INLINE_RESULT_LIMIT_BYTES). Results over
 * that limit stay out of lists, as they always have: a page would pass Lambda's response
 * size; GET /v1/jobs/{jobId} has them.
 */
export const listedViewOf = async (job: JobRecord, deps: ApiDependencies): Promise<JobView> => {
  const smallResult = job.resultRef !== undefined && job.resultRef.bytes <= INLINE_RESULT_LIMIT_BYTES;
  return toJobView(await deps.claimCheck.resolve(job, smallResult ? ['payload', 'result'] : ['payload']));
};

/** GET /v1/jobs: the caller's own jobs, newest first. */
export const listJobs = async (
  query: Record<string, string | undefined>,
  user: User,
  deps: ApiDependencies,
): Promise<{ jobs: JobView[]; nextCursor: string | null }> => {
  const parsed = parseOrThrow(listQuerySchema, query, 'The list query is invalid.');
  const page = await deps.store.listForUser({
    userId: user.id,
    limit: parsed.limit ?? 20,
    status: parsed.status,
    type: parsed.type,
    after: parsed.cursor ? decodeCursor(parsed.cursor, LIST_POSITION) : undefined,
  });
  return {
    jobs: await Promise.all(page.jobs.map((job) => listedViewOf(job, deps))),
    nextCursor: page.lastSortKey ? encodeCursor(page.lastSortKey) : null,
  };
};

/** GET /v1/jobs/{jobId}/events: the transition log, oldest first. */
export const getJobEvents = async (jobId: string | undefined, user: User, deps: ApiDependencies) => {
  const job = await findVisibleJob(jobId, user, deps);
  return { events: job.events };
};

const ITEMS_PAGE_SIZE = 100;

/** GET /v1/jobs/{jobId}/items: per-item results of a bulk job, in input order. */
export const listJobItems = async (
  jobId: string | undefined,
  query: Record<string, string | undefined>,
  user: User,
  deps: ApiDependencies,
) => {
  const job = await findVisibleJob(jobId, user, deps);
  const cursor = query.cursor;
  const afterIndex = cursor ? Number(decodeCursor(cursor, /^\d{1,6}$/)) : undefined;
  const page = await new ItemStore(deps.documentClient, deps.settings.tableName).list(job.jobId, {
    afterIndex,
    limit: ITEMS_PAGE_SIZE,
  });
  return {
    items: page.items,
    nextCursor: page.lastIndex === undefined ? null : encodeCursor(String(page.lastIndex)),
  };
};
