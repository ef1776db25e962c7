import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { type DispatchDependencies, dispatchBatch } from './dispatch-batch';
import { isDispatchedRecord } from './dispatch-rule';

const SEQUENCE_NUMBER = z.string().regex(/^\d{1,64}$/);

/**
 * What Lambda sends to a DynamoDB stream mapping's on-failure destination when a batch
 * has used its retries: not the records, only where they are in the stream (they stay
 * readable there for 24 hours).
 */
export const streamFailureSchema = z.object({
  requestContext: z
    .object({ functionArn: z.string().optional(), condition: z.string().optional() })
    .optional(),
  DDBStreamBatchInfo: z.object({
    streamArn: z.string().min(1),
    shardId: z.string().min(1),
    startSequenceNumber: SEQUENCE_NUMBER,
    endSequenceNumber: SEQUENCE_NUMBER,
    batchSize: z.number().int().min(0).optional(),
  }),
});
export type StreamFailure = z.infer<typeof streamFailureSchema>;
export type StreamBatchInfo = StreamFailure['DDBStreamBatchInfo'];

export interface ReplayDependencies extends DispatchDependencies {
  readonly streams: DynamoDBStreamsClient;
}

export interface ReplaySummary {
  /** Records read from the shard between the start and end sequence numbers. */
  readonly read: number;
  /** Of those, the job changes the dispatcher handles (what its mapping's filters pass). */
  readonly dispatched: number;
}

/** Pages read before giving up on reaching the end of the range (then SQS retries later). */
const MAX_PAGES = 50;

/**
 * The records the dispatcher's event source mapping passes to it (its filters in
 * lib/constructs/stream-consumers.ts, the rule in ./dispatch-rule): new jobs, jobs that
 * start waiting, jobs that end. The range of a failed batch also spans records the
 * filters dropped (claims, progress, counters, connections, ...): those were never the
 * dispatcher's, and none of them needs a message.
 */
export { isDispatchedRecord };

/** A record read with GetRecords, in the shape Lambda hands stream records to a function. */
const toLambdaRecord = (record: _Record, streamArn: string): DynamoDBRecord => {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(rest as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(new Date(ApproximateCreationDateTime).getTime() / 1000) }
        : {}),
    },
  };
};

/**
 * Reads the records of `info`'s shard from its start to its end sequence number
 * (GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords). Throws if the end cannot be
 * reached yet, so the caller fails and tries again later.
 */
export const readBatchRange = async (
  streams: DynamoDBStreamsClient,
  info: StreamBatchInfo,
): Promise<DynamoDBRecord[]> => {
  const end = BigInt(info.endSequenceNumber);
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const records: DynamoDBRecord[] = [];
  let iterator = ShardIterator;
  for (let page = 0; iterator && page < MAX_PAGES; page += 1) {
    const { Records = [], NextShardIterator } = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
    );
    for (const record of Records) {
      const sequence = BigInt(record.dynamodb?.SequenceNumber ?? '0');
      if (sequence > end) return records;
      records.push(toLambdaRecord(record, info.streamArn));
      if (sequence === end) return records;
    }
    iterator = NextShardIterator;
  }
  // A closed shard ends before the end sequence only if the range ran past its last record.
  if (!iterator) return records;
  throw new Error(`Could not read up to sequence number ${info.endSequenceNumber} of ${info.shardId}`);
};

/**
 * Re-runs the dispatch for a stream batch the dispatcher gave up on: the records are read
 * back from the stream and go through the same `dispatchBatch` (messages, superseded
 * versions, statistics). A job whose message was sent after all gets a second one, which
 * is harmless: the worker claims only with the (status, attempt) the job is in, so the
 * duplicate finds the attempt taken (or the job finished) and is dropped.
 *
 * Statistics: the range starts at the first record the dispatcher reported failed, and it
 * counts only the records before that one, so the replay counts each record once (except
 * after a failed statistics write, as in dispatchBatch itself).
 *
 * Throws while SQS still refuses any message, so the failure message comes back later and
 * the replay is tried again; the alarms on the failure queue tell when it cannot.
 */
export const replayFailedBatch = async (
  failure: StreamFailure,
  deps: ReplayDependencies,
): Promise<ReplaySummary> => {
  const records = await readBatchRange(deps.streams, failure.DDBStreamBatchInfo);
  const dispatched = records.filter(isDispatchedRecord);
  const { batchItemFailures } = await dispatchBatch(dispatched, deps);
  if (batchItemFailures.length > 0) {
    throw new Error(
      `The dispatch still fails from sequence number ${batchItemFailures[0]?.itemIdentifier}; retrying later`,
    );
  }
  return { read: records.length, dispatched: dispatched.length };
};
