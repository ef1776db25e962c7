import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { passesFilters } from './event-filter';
import type { AwsJsonClient } from './json-protocol';
import type { LocalFunction } from './lambda-host';

export interface StreamMappingSpec {
  readonly streamArn: string;
  readonly batchSize: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly filters?: readonly { Pattern: string }[];
  readonly maximumRetryAttempts: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly reportBatchItemFailures: boolean;
  /** Queue URL of the on-failure destination. */
  readonly onFailureQueueUrl?: string;
  /** ARN the on-failure record names as the function that failed. */
  readonly functionArn?: string;
  /**
   * Batches of one shard processed at once (Lambda's ParallelizationFactor, 1–10). Records
   * are spread over that many lanes by partition key, so one item's changes stay in order
   * while a burst of other items' changes does not hold them up. @default 1
   */
  readonly parallelizationFactor?: number;
}

const POLL_MS = 100;
/** Shards of a table's stream change rarely; describing it on every poll only loads DynamoDB Local. */
const DESCRIBE_EVERY_MS = 2000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stream record on the wire (GetRecords' JSON): already Lambda's record shape but for a few fields. */
interface WireRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventVersion?: string;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: number;
    readonly SequenceNumber?: string;
  } & Record<string, unknown>;
}

/** A record as Lambda hands DynamoDB stream records to a function (whole epoch seconds, the mapping's ARN). */
const toLambdaRecord = (record: WireRecord, streamArn: string, region: string) => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: region,
  dynamodb: {
    ...record.dynamodb,
    ApproximateCreationDateTime:
      record.dynamodb?.ApproximateCreationDateTime === undefined
        ? undefined
        : Math.floor(record.dynamodb.ApproximateCreationDateTime),
  },
  eventSourceARN: streamArn,
});

interface StreamDescription {
  readonly StreamDescription?: { readonly Shards?: readonly { ShardId: string; ParentShardId?: string }[] };
}

type LambdaRecord = ReturnType<typeof toLambdaRecord>;

/** The record's partition key as text (all of its key attributes' values when the key is unnamed). */
const partitionKeyOf = (record: LambdaRecord): string => {
  const keys = (record.dynamodb as { Keys?: Record<string, Record<string, unknown>> }).Keys ?? {};
  const pk = keys.PK ?? Object.values(keys)[0];
  return JSON.stringify(pk ?? null);
};

/**
 * Records spread over `factor` lanes by partition key, each lane in stream order: the
 * same item always lands in the same lane. Empty lanes are left out.
 */
export const lanesOf = (records: readonly LambdaRecord[], factor: number): LambdaRecord[][] => {
  if (factor <= 1) return records.length > 0 ? [[...records]] : [];
  const lanes: LambdaRecord[][] = Array.from({ length: factor }, () => []);
  for (const record of records) {
    const key = partitionKeyOf(record);
    let hash = 0;
    for (let index = 0; index < key.length; index += 1) hash = (hash * 31 + key.charCodeAt(index)) | 0;
    lanes[Math.abs(hash) % factor]?.push(record);
  }
  return lanes.filter((lane) => lane.length > 0);
};

/**
 * A DynamoDB stream event source mapping on DynamoDB Local's stream: reads every shard in
 * order, drops records the filters reject, invokes the function with batches, and on
 * failure retries — from the first reported failed item with ReportBatchItemFailures,
 * halving the batch with bisect — up to MaximumRetryAttempts, then sends the batch's
 * description to the on-failure destination and moves on, as Lambda does.
 */
export class StreamEventSource {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly finishedShards = new Set<string>();

  constructor(
    readonly spec: StreamMappingSpec,
    private readonly target: LocalFunction,
    /** DynamoDB Local's stream API (`DynamoDBStreams_20120810`), raw JSON. */
    private readonly streams: AwsJsonClient,
    private readonly sqs: SQSClient,
    private readonly region: string,
    private readonly onError: (message: string) => void,
    /** Sees every record read (before filtering), e.g. to log job transitions. */
    private readonly observe?: (record: LambdaRecord) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const iterators = new Map<string, string>();
    let describedAt = 0;
    while (!this.stopped) {
      try {
        const describe = iterators.size === 0 || Date.now() - describedAt >= DESCRIBE_EVERY_MS;
        const { StreamDescription } = describe
          ? await this.streams.call<StreamDescription>('DescribeStream', { StreamArn: this.spec.streamArn })
          : { StreamDescription: undefined };
        if (describe) describedAt = Date.now();
        for (const shard of StreamDescription?.Shards ?? []) {
          const shardId = shard.ShardId;
          if (iterators.has(shardId) || this.finishedShards.has(shardId)) continue;
          // A child shard is read only after its parent is finished, to keep per-item order.
          if (
            shard.ParentShardId &&
            !this.finishedShards.has(shard.ParentShardId) &&
            iterators.has(shard.ParentShardId)
          )
            continue;
          const { ShardIterator } = await this.streams.call<{ ShardIterator?: string }>('GetShardIterator', {
            StreamArn: this.spec.streamArn,
            ShardId: shardId,
            ShardIteratorType: this.spec.startingPosition,
          });
          if (ShardIterator) iterators.set(shardId, ShardIterator);
        }
        let sawRecords = false;
        for (const [shardId, iterator] of iterators) {
          if (this.stopped) break;
          const { Records = [], NextShardIterator } = await this.streams.call<{
            Records?: WireRecord[];
            NextShardIterator?: string;
          }>('GetRecords', { ShardIterator: iterator, Limit: 1000 });
          if (Records.length > 0) {
            sawRecords = true;
            await this.deliver(
              shardId,
              Records.map((record) => toLambdaRecord(record, this.spec.streamArn, this.region)),
            );
          }
          if (NextShardIterator) iterators.set(shardId, NextShardIterator);
          else {
            iterators.delete(shardId);
            this.finishedShards.add(shardId);
          }
        }
        if (!sawRecords) await sleep(POLL_MS);
      } catch (error) {
        this.onError(`stream read failed: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private async deliver(shardId: string, records: LambdaRecord[]): Promise<void> {
    for (const record of records) this.observe?.(record);
    const accepted = records.filter((record) => passesFilters(this.spec.filters, record));
    const lanes = lanesOf(accepted, this.spec.parallelizationFactor ?? 1);
    await Promise.all(
      lanes.map(async (lane) => {
        for (let start = 0; start < lane.length; start += this.spec.batchSize) {
          await this.invokeWithRetries(shardId, lane.slice(start, start + this.spec.batchSize));
        }
      }),
    );
  }

  private async invokeWithRetries(shardId: string, batch: LambdaRecord[]): Promise<void> {
    let pending = batch;
    let attempts = 0;
    while (pending.length > 0) {
      const failedFrom = await this.invokeOnce(pending);
      if (failedFrom === undefined) return;
      attempts += 1;
      if (attempts > this.spec.maximumRetryAttempts || this.stopped) {
        await this.sendToDestination(shardId, pending.slice(failedFrom), attempts);
        return;
      }
      pending = pending.slice(failedFrom);
      if (this.spec.bisectBatchOnFunctionError && pending.length > 1 && failedFrom === 0) {
        const half = Math.ceil(pending.length / 2);
        await this.invokeWithRetries(shardId, pending.slice(0, half));
        pending = pending.slice(half);
        attempts = 0;
      }
      await sleep(Math.min(100 * 2 ** attempts, 2000));
    }
  }

  /** Index of the first record to retry, or undefined when the batch succeeded. */
  private async invokeOnce(batch: LambdaRecord[]): Promise<number | undefined> {
    try {
      const result: any = await this.target.invoke({ Records: batch });
      const failures: { itemIdentifier: string }[] = this.spec.reportBatchItemFailures
        ? (result?.batchItemFailures ?? [])
        : [];
      if (failures.length === 0) return undefined;
      const failedSequences = new Set(failures.map((failure) => failure.itemIdentifier));
      const index = batch.findIndex((record) => failedSequences.has(record.dynamodb.SequenceNumber ?? ''));
      return index < 0 ? 0 : index;
    } catch (error) {
      this.onError(`${this.target.name} failed on a stream batch: ${(error as Error).message}`);
      return 0;
    }
  }

  /**
   * The record Lambda sends to a stream mapping's on-failure destination: where the failed
   * records are (shard, first and last sequence number), not the records themselves.
   */
  private async sendToDestination(
    shardId: string,
    records: LambdaRecord[],
    invokeCount: number,
  ): Promise<void> {
    if (!this.spec.onFailureQueueUrl || records.length === 0) return;
    const first = records[0];
    const last = records.at(-1);
    const arrival = (record: LambdaRecord | undefined) =>
      record?.dynamodb.ApproximateCreationDateTime
        ? new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toISOString()
        : undefined;
    await this.sqs
      .send(
        new SendMessageCommand({
          QueueUrl: this.spec.onFailureQueueUrl,
          MessageBody: JSON.stringify({
            requestContext: {
              requestId: randomUUID(),
              functionArn: this.spec.functionArn ?? this.target.name,
              condition: 'RetryAttemptsExhausted',
              approximateInvokeCount: invokeCount,
            },
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            version: '1.0',
            timestamp: new Date().toISOString(),
            DDBStreamBatchInfo: {
              shardId,
              startSequenceNumber: first?.dynamodb.SequenceNumber,
              endSequenceNumber: last?.dynamodb.SequenceNumber,
              approximateArrivalOfFirstRecord: arrival(first),
              approximateArrivalOfLastRecord: arrival(last),
              batchSize: records.length,
              streamArn: this.spec.streamArn,
            },
          }),
        }),
      )
      .catch((error) => this.onError(`on-failure destination: ${(error as Error).message}`));
  }
}
