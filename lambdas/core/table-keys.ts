import { createHash } from 'node:crypto';
import type { JobStatus } from './job-status';

/**
 * Every key shape of the single table. Only the store modules import this file.
 */
export const STATUS_SHARDS = 8;

const shardOf = (jobId: string, shards: number): number =>
  createHash('sha1').update(jobId).digest().readUInt16BE(0) % shards;

export const keys = {
  job: (jobId: string) => ({ PK: `JOB#${jobId}`, SK: 'JOB' }),
  item: (jobId: string, index: number) => ({
    PK: `JOB#${jobId}`,
    SK: `ITEM#${String(index).padStart(6, '0')}`,
  }),
  itemPrefix: 'ITEM#',
  userIndex: (userId: string, createdAt: string, jobId: string) => ({
    GSI1PK: `USER#${userId}`,
    GSI1SK: `${createdAt}#${jobId}`,
  }),
  userIndexPartition: (userId: string) => `USER#${userId}`,
  statusIndexPartition: (status: JobStatus, jobId: string) =>
    `STATUS#${status}#${shardOf(jobId, STATUS_SHARDS)}`,
  statusIndexPartitionOfShard: (status: JobStatus, shard: number) => `STATUS#${status}#${shard}`,
  idempotency: (userId: string, key: string) => ({ PK: `IDEM#${userId}#${key}`, SK: 'IDEM' }),
  rateWindow: (userId: string, minute: string) => ({ PK: `RATE#${userId}`, SK: minute }),
  dailyQuota: (quota: string, userId: string, day: string) => ({ PK: `QUOTA#${quota}#${userId}`, SK: day }),
  typeRateWindow: (type: string, epochSecond: number) => ({
    PK: `TYPERATE#${type}`,
    SK: String(epochSecond),
  }),
  entityVersions: (key: string) => ({ PK: `ENTITY#${key}`, SK: 'VERSION' }),
  stats: (day: string) => `STATS#${day}`,
  rollup: (day: string, period: string, scope: string) => ({ PK: `ROLLUP#${day}`, SK: `${period}#${scope}` }),
  statsSort: (scope: string, type: string, priority: string) => `${scope}#${type}#${priority}`,
  gauge: (scope: string) => ({ PK: `GAUGE#${scope}`, SK: 'STATUS' }),
  connection: (connectionId: string) => ({ PK: `CONN#${connectionId}`, SK: 'CONN' }),
  jobSubscription: (jobId: string) => `SUB#${jobId}`,
  userSubscription: (userId: string) => `SUB#USER#${userId}`,
  subscriptionSort: (connectionId: string) => `CONN#${connectionId}`,
  /** A user's open connections (user.notify reaches them without a subscription); SK as subscriptions'. */
  userConnections: (userId: string) => `USERCONN#${userId}`,
  /** A user's notifications, newest last by sort key: `<at ISO>#<id>`. */
  notification: (userId: string, at: string, id: string) => ({ PK: `NOTE#${userId}`, SK: `${at}#${id}` }),
  notifications: (userId: string) => `NOTE#${userId}`,
} as const;

export const INDEX = { user: 'UserJobs', status: 'StatusJobs' } as const;

/**
 * Statuses a job carries status-index keys in: those off the happy path, which the
 * stranded-job sweep, admin search and bulk retry look for. Queued, processing and
 * completed jobs are left out, so the happy path never writes the index.
 */
export const STATUS_INDEXED: readonly JobStatus[] = ['delayed', 'retrying', 'failed', 'cancelled'];

/** Stats scopes: everyone's counters, and one user's. */
export const scopes = { all: 'ALL', user: (userId: string) => `USER#${userId}` } as const;
