import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { JobQueueClient, OutgoingMessage } from '../core/job-queue-client';
import type { StatsStore } from '../core/stats-store';
import { jobChangeOf } from '../core/stream-image';
import type { VersionStore } from '../core/version-store';
import { addToStats, emptyStatsDelta, messageFor } from './plan-dispatch';

export interface DispatchDependencies {
  readonly queue: JobQueueClient;
  readonly stats: StatsStore;
  readonly versions: VersionStore;
}

/**
 * The outbox: turns a batch of job changes into queue messages (SendMessageBatch, ten at
 * a time) and statistics (one update per counter item per batch).
 *
 * If SQS refuses a message, that record is reported as the batch item failure; Lambda
 * retries from it, so a saved job can never miss its message (re-sending the later
 * records too is harmless: duplicates lose the claim). Statistics are counted only for
 * the records before the first failure, so a retried record is not counted twice.
 * Counting is at least once, not exactly once: if a counter write fails (or the function
 * dies after some of them), the whole batch is retried and the writes that had landed
 * count again — as few writes as possible now (one per user × type × priority × day of
 * the batch), so there is less to repeat.
 */
export const dispatchBatch = async (
  records: readonly DynamoDBRecord[],
  deps: DispatchDependencies,
): Promise<DynamoDBBatchResponse> => {
  const changes = records.map(jobChangeOf);
  // A superseding job's version is on record before its message exists (newest wins).
  await Promise.all(
    changes.flatMap((change) => {
      const supersedes = change.eventName === 'INSERT' ? change.newJob?.supersedes : undefined;
      return supersedes ? [deps.versions.recordSubmitted(supersedes.key, supersedes.version)] : [];
    }),
  );
  const outgoing: { index: number; message: OutgoingMessage }[] = [];
  changes.forEach((change, index) => {
    const message = messageFor(change);
    if (message) outgoing.push({ index, message });
  });
  const refused = new Set(await deps.queue.send(outgoing.map(({ message }) => message)));
  const failedIndexes = outgoing.filter(({ message }) => refused.has(message)).map(({ index }) => index);
  const firstFailure = failedIndexes.length > 0 ? Math.min(...failedIndexes) : records.length;

  const delta = emptyStatsDelta();
  for (const change of changes.slice(0, firstFailure)) addToStats(delta, change);
  await Promise.all(
    [...delta.counters.values()].map(({ key, deltas }) => deps.stats.addCounters(key, deltas)),
  );

  const failedRecord = records[firstFailure];
  return {
    batchItemFailures: failedRecord?.dynamodb?.SequenceNumber
      ? [{ itemIdentifier: failedRecord.dynamodb.SequenceNumber }]
      : [],
  };
};
