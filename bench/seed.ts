// Fills the job table for the read-latency figures. Jobs are written with the project's own
// `JobStore.create` (one PutItem each), so the items carry whatever keys and index
// attributes the store writes today, and straight into DynamoDB Local: not through the API
// (no rate limit) and not through the request meter (no cost booked to any function).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../lambdas/core/job';
import { JobStore } from '../lambdas/core/job-store';
import { newJob } from '../lambdas/core/new-job';

export interface SeedOwner {
  readonly userId: string;
  readonly jobs: number;
}

/**
 * A no-op job as the API builds it, already finished: seeded jobs must not run (a queued
 * one would be dispatched and run by the workers). Its stream record still goes through
 * the dispatcher's statistics, as a finished job's would.
 */
export const finishedJob = (userId: string, now: Date): JobRecord => {
  const job = newJob(
    { type: 'system.simulate', payload: { durationMs: 0 } },
    { userId, now, maxDelaySeconds: 0 },
  );
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
  return {
    ...job,
    status: 'completed',
    attempts: 1,
    startedAt: at(5),
    completedAt: at(10),
    updatedAt: at(10),
    durationMs: 5,
    result: {},
    events: [
      ...job.events,
      { at: at(5), from: 'queued', to: 'processing', attempt: 1 },
      { at: at(10), from: 'processing', to: 'completed', attempt: 1 },
    ],
    version: job.version + 2,
    // The retention the store gives a completed job (7 days).
    expiresAt: Math.floor(now.getTime() / 1000) + 7 * 24 * 3600,
  };
};

/**
 * Writes each owner's jobs with `concurrency` PutItems in flight; returns the job ids.
 * `onProgress` is called with the number written so far, every thousand.
 */
export const seedJobs = async (
  client: DynamoDBClient,
  tableName: string,
  owners: readonly SeedOwner[],
  concurrency = 20,
  onProgress: (written: number) => void = () => {},
): Promise<string[]> => {
  const store = new JobStore(
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  );
  const queue = owners.flatMap((owner) => Array.from({ length: owner.jobs }, () => owner.userId));
  const jobIds: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < queue.length) {
        const job = finishedJob(queue[next++] as string, new Date());
        const created = await store.create(job);
        if (created.outcome !== 'created') throw new Error(`Seeding ${job.jobId}: ${created.outcome}`);
        jobIds.push(job.jobId);
        if (jobIds.length % 1000 === 0) onProgress(jobIds.length);
      }
    }),
  );
  return jobIds;
};
