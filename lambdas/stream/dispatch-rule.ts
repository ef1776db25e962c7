import type { DynamoDBRecord } from 'aws-lambda';
import type { JobStatus } from '../core/job-status';

/** Statuses that wait for a queue message. */
export const WAITING_STATUSES = ['queued', 'delayed', 'retrying'] as const satisfies readonly JobStatus[];
/** Statuses a job ends in (counted once, when it enters one). */
export const FINISHED_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];

const isIn = (statuses: readonly string[], status: string | undefined): boolean =>
  status !== undefined && statuses.includes(status);

/**
 * The one rule of what the dispatcher acts on, in terms of a change's event and statuses
 * (the mapping's FilterCriteria in lib/constructs/stream-consumers.ts say the same):
 * - a new job (its message, its `submitted` count, a superseded version);
 * - a job that starts waiting (its next attempt's message): a waiting status entered
 *   from one that is not waiting; a job already waiting already has its message
 *   (`delayed → queued` is the worker claiming with it);
 * - a job that ends (its completed/failed/cancelled count), entered from a status that
 *   is not an end.
 * Everything else — claims, progress writes, flags on a finished job, TTL removals —
 * needs nothing, so it does not invoke the dispatcher at all.
 */
export const isDispatchedChange = (
  eventName: string | undefined,
  oldStatus: string | undefined,
  newStatus: string | undefined,
): boolean => {
  if (eventName === 'INSERT') return true;
  // A MODIFY always has its old image (the stream is NEW_AND_OLD_IMAGES); a filter
  // rule on a field matches only where the field is present, so none is passed without.
  if (eventName !== 'MODIFY' || oldStatus === undefined) return false;
  return (
    (isIn(WAITING_STATUSES, newStatus) && !isIn(WAITING_STATUSES, oldStatus)) ||
    (isIn(FINISHED_STATUSES, newStatus) && !isIn(FINISHED_STATUSES, oldStatus))
  );
};

/**
 * `isDispatchedChange` for a raw stream record, as the mapping's filters see it: only
 * job items (sort key `JOB`), never counters, connections or job sub-items.
 */
export const isDispatchedRecord = (record: DynamoDBRecord): boolean => {
  const newImage = record.dynamodb?.NewImage;
  if (newImage?.SK?.S !== 'JOB') return false;
  return isDispatchedChange(record.eventName, record.dynamodb?.OldImage?.status?.S, newImage.status?.S);
};
