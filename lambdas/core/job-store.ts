import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { eventsToDrop } from './item-size';
import type { JobError, JobEvent, JobProgress, JobRecord, RedispatchMarker } from './job';
import { canTransition, isTerminal, type JobStatus, TERMINAL_STATUSES } from './job-status';
import { type MergeSource, NewestFirstMerge } from './newest-first-merge';
import { INDEX, keys, STATUS_INDEXED, STATUS_SHARDS } from './table-keys';

export interface RetentionPolicy {
  /** Days a completed job stays readable. */
  readonly completedDays: number;
  /** Days a failed or cancelled job stays readable. */
  readonly failedDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { completedDays: 7, failedDays: 30 };

/** How long an Idempotency-Key keeps pointing at its job. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

export interface IdempotencyClaim {
  readonly userId: string;
  readonly key: string;
  /** Hash of the request body: the same key with another body is a conflict. */
  readonly requestHash: string;
}

export type CreateResult =
  | { readonly outcome: 'created'; readonly job: JobRecord }
  | { readonly outcome: 'replayed'; readonly job: JobRecord }
  | { readonly outcome: 'conflict' };

export interface TransitionRequest {
  readonly jobId: string;
  /** Statuses the job may be in; each must be allowed to move to `to`. */
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
  readonly at: string;
  /** The job's `attempts` must equal this (guards against stale messages and workers). */
  readonly expectedAttempts?: number;
  /** Attempt number recorded in the event (and set on the job when it changes). */
  readonly attempt: number;
  readonly error?: JobError;
  /** Further attributes to set. */
  readonly set?: Readonly<Record<string, unknown>>;
  /** Further attributes to remove. */
  readonly remove?: readonly string[];
  /** Extra events logged before the main one, in order (e.g. delayed → queued before queued → processing). */
  readonly precedingEvents?: readonly JobEvent[];
  /** The lease the job must still hold (recording a lost attempt: a holder that renewed keeps its job). */
  readonly expectedLeaseUntil?: string;
}

export type TransitionResult =
  | { readonly ok: true; readonly job: JobRecord }
  | { readonly ok: false; readonly current?: JobRecord };

export interface ListQuery {
  readonly userId: string;
  readonly limit: number;
  /** Sort key of the last job of the previous page. */
  readonly after?: string;
  readonly status?: JobStatus;
  readonly type?: string;
  /** Jobs created at or after this millisecond ISO instant only (a key condition: nothing older is read). */
  readonly createdFrom?: string;
  /** Jobs created at or before this millisecond ISO instant only (a key condition, like `createdFrom`). */
  readonly createdTo?: string;
}

export interface ListPage {
  readonly jobs: JobRecord[];
  /** Sort key to continue after, or undefined on the last page. */
  readonly lastSortKey?: string;
}

/** Statuses the sparse status index holds, so the only ones a status search can answer. */
export const SEARCHABLE_STATUSES: readonly JobStatus[] = STATUS_INDEXED;

/** A job's place in the status index: its sort key (the job's creation time) and its id. */
export interface StatusIndexPosition {
  readonly createdAt: string;
  readonly jobId: string;
}

/** How far a search has read one partition of the status index. */
export type PartitionProgress = 'start' | 'end' | StatusIndexPosition;

export interface StatusSearch {
  /** Statuses to search, each one of SEARCHABLE_STATUSES; their jobs are merged newest first. */
  readonly statuses: readonly JobStatus[];
  readonly limit: number;
  /**
   * Where the previous page stopped: one entry per partition, in the order of
   * `statuses.flatMap(statusPartitions)`. @default every partition from its start
   */
  readonly resume?: readonly PartitionProgress[];
  /** Further conditions on each job read (the index holds keys only, so filters apply after the read). */
  readonly matches?: (job: JobRecord) => boolean;
  /** Index entries examined at most. @default LIST_EXAMINE_BUDGET */
  readonly examineBudget?: number;
}

export interface StatusSearchPage {
  readonly jobs: JobRecord[];
  /** Where to continue, or undefined when every partition was read to its end. */
  readonly resume?: PartitionProgress[];
}

/** Newest first by creation, ties broken by job id (descending), so the order is total. */
const newestFirst = (a: StatusIndexPosition, b: StatusIndexPosition): number => {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  if (a.jobId === b.jobId) return 0;
  return a.jobId > b.jobId ? -1 : 1;
};

/** Which finished jobs a removal may take (each condition is checked by the delete itself). */
export interface RemovalCondition {
  /** The job's status must be this one (default: any finished status). */
  readonly status?: JobStatus;
  /** The job must have finished (`completedAt`, else `createdAt`) before this ISO time. */
  readonly finishedBefore?: string;
  /** The job must be of this type. */
  readonly type?: string;
}

export type RemovalResult =
  | { readonly ok: true; readonly job: JobRecord }
  /** Not removed: `current` is the job as it is now (undefined when it is gone). */
  | { readonly ok: false; readonly current?: JobRecord };

/** A page of a sequential read (an index partition or the table) and where to continue. */
export interface KeyedPage<T> {
  readonly entries: T[];
  /** Opaque position to pass back for the next page; undefined after the last page. */
  readonly next?: Record<string, unknown>;
}

export interface LeaseState {
  readonly cancelRequested: boolean;
}

const TABLE_KEY_ATTRIBUTES = [
  'PK',
  'SK',
  'GSI1PK',
  'GSI1SK',
  'GSI2PK',
  'GSI2SK',
  'LEASEPK',
  'LEASESK',
  'requestHash',
] as const;

// No index: the lease lives on the item only; a stalled job resurfaces through its own message.
const LEASE_ATTRIBUTES = ['leaseUntil'] as const;
const STATUS_INDEX_ATTRIBUTES = ['GSI2PK', 'GSI2SK'] as const;

/** Index entries one list request examines at most; a sparse filter answers a short page with a cursor. */
export const LIST_EXAMINE_BUDGET = 1000;
/** BatchGetItem's limit on keys per request. */
const BATCH_GET_KEYS = 100;
/** Rounds of unprocessed keys retried before giving up on a page (DynamoDB throttling). */
const BATCH_GET_ROUNDS = 5;
/** BatchWriteItem's limit on items per request. */
const BATCH_WRITE_ITEMS = 25;
/** Rounds of unprocessed puts retried (with backoff) before those jobs are answered as failed. */
const BATCH_WRITE_ROUNDS = 5;

export class UnprocessedWriteError extends Error {
  constructor() {
    super('The table is busy; the job was not saved');
    this.name = 'UnprocessedWriteError';
  }
}

/** Keys of rows in a job's partition (bulk items, event rows) deleted per Query page. */
const PARTITION_PAGE = 100;

/** Keeps one trim's update expression well under DynamoDB's 4 KB expression limit. */
const MAX_EVENTS_DROPPED_PER_WRITE = 150;

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** A new job as stored: its keys, its user-index keys and, off the happy path, its status-index keys. */
export const jobItem = (job: JobRecord): Record<string, unknown> => ({
  ...keys.job(job.jobId),
  ...keys.userIndex(job.userId, job.createdAt, job.jobId),
  ...(STATUS_INDEXED.includes(job.status)
    ? { GSI2PK: keys.statusIndexPartition(job.status, job.jobId), GSI2SK: job.createdAt }
    : {}),
  ...job,
});

/** Strips table keys from a stored item. */
export const toJobRecord = (item: Record<string, unknown>): JobRecord => {
  const record: Record<string, unknown> = { ...item };
  for (const attribute of TABLE_KEY_ATTRIBUTES) delete record[attribute];
  if (!Array.isArray(record.events)) record.events = [];
  return record as unknown as JobRecord;
};

/** An item whose TTL has passed is gone, even before DynamoDB deletes it. */
export const isExpired = (item: { expiresAt?: unknown }, now: Date): boolean =>
  typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= now.getTime();

/**
 * A creation-time range as a condition on the user index's sort key `<createdAt>#<jobId>`:
 * `<from>` sorts before every key of that millisecond and `<to>#~` after every key of its
 * own (`~` sorts after every ULID character), so both bounds are inclusive.
 */
const userIndexRange = (query: Pick<ListQuery, 'createdFrom' | 'createdTo'>) => {
  const from = query.createdFrom;
  const to = query.createdTo === undefined ? undefined : `${query.createdTo}#~`;
  if (from !== undefined && to !== undefined) {
    return { condition: ' AND GSI1SK BETWEEN :from AND :to', values: { ':from': from, ':to': to } };
  }
  if (from !== undefined) return { condition: ' AND GSI1SK >= :from', values: { ':from': from } };
  if (to !== undefined) return { condition: ' AND GSI1SK <= :to', values: { ':to': to } };
  return { condition: '', values: {} };
};

/**
 * All access to job items. Every state change is one conditional update on
 * `(status, attempts)`, so concurrent workers, the sweep and the API can race safely:
 * the loser's condition fails and it gets the current job back to decide what to do.
 */
export class JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retention: RetentionPolicy = DEFAULT_RETENTION,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Saves a new job; with an idempotency claim, atomically with the claim. A claim whose
   * job was deleted (DELETE /v1/jobs/{jobId}) no longer names a job: the same key and body
   * then create a new job, taking the claim over on the condition that the old job is
   * still gone (as BullMQ's custom job ids are free again after `job.remove()`).
   */
  async create(
    job: JobRecord,
    idempotency?: IdempotencyClaim,
    releasedJobId?: string,
  ): Promise<CreateResult> {
    const item = jobItem(job);
    if (!idempotency) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { outcome: 'created', job };
    }
    const now = this.clock();
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.idempotency(idempotency.userId, idempotency.key),
                  jobId: job.jobId,
                  requestHash: idempotency.requestHash,
                  expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
                },
                // A claim past its window is as good as absent, even before TTL deletes it.
                ConditionExpression: `attribute_not_exists(PK) OR expiresAt <= :now${releasedJobId ? ' OR jobId = :released' : ''}`,
                ExpressionAttributeValues: {
                  ':now': Math.floor(now.getTime() / 1000),
                  ...(releasedJobId ? { ':released': releasedJobId } : {}),
                },
              },
            },
            {
              Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
            },
            ...(releasedJobId
              ? [
                  {
                    ConditionCheck: {
                      TableName: this.tableName,
                      Key: keys.job(releasedJobId),
                      ConditionExpression: 'attribute_not_exists(PK)',
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return { outcome: 'created', job };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const claim = await this.readClaim(idempotency);
      if (claim.result) return claim.result;
      // Taken over once at most: a second refusal is a real race, answered as before.
      if (claim.releasedJobId && !releasedJobId) return this.create(job, idempotency, claim.releasedJobId);
      throw error;
    }
  }

  /**
   * Saves new jobs (no idempotency claims) with BatchWriteItem, 25 a request: the same
   * write units as one put each, in a twenty-fifth of the requests. Job ids are fresh
   * ULIDs, so the puts need no existence condition. Puts the table leaves unprocessed are
   * retried with backoff; a request that fails as a whole is saved again job by job, so
   * each job gets its own answer. Per job: undefined when saved, else the error.
   */
  async createMany(jobs: readonly JobRecord[]): Promise<(Error | undefined)[]> {
    const failures = new Map<string, Error>();
    const chunks: JobRecord[][] = [];
    for (let offset = 0; offset < jobs.length; offset += BATCH_WRITE_ITEMS) {
      chunks.push(jobs.slice(offset, offset + BATCH_WRITE_ITEMS));
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          for (const jobId of await this.putAll(chunk)) failures.set(jobId, new UnprocessedWriteError());
        } catch {
          // Refused as a whole (one invalid item fails the request) or failed on the way:
          // job by job, so each gets its own answer. A put that did land before the failure
          // finds its job already there — saved.
          await Promise.all(
            chunk.map(async (job) => {
              const error = await this.createAlone(job);
              if (error) failures.set(job.jobId, error);
            }),
          );
        }
      }),
    );
    return jobs.map((job) => failures.get(job.jobId));
  }

  /** Saves one new job; undefined when it is saved (or already was), else the error. */
  private async createAlone(job: JobRecord): Promise<Error | undefined> {
    try {
      await this.create(job);
      return undefined;
    } catch (error) {
      return error instanceof ConditionalCheckFailedException ? undefined : (error as Error);
    }
  }

  /** Puts `jobs` with BatchWriteItem; the ids of those still unprocessed after the last round. */
  private async putAll(jobs: readonly JobRecord[]): Promise<string[]> {
    let pending = jobs.map((job) => ({ PutRequest: { Item: jobItem(job) } }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === BATCH_WRITE_ROUNDS)
        return pending.map((request) => String(request.PutRequest.Item.jobId));
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const response: BatchWriteCommandOutput = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
      );
      pending = (response.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
    }
    return [];
  }

  /** The job an idempotency key already points at, or undefined if the key is unused. */
  async findIdempotentJob(claim: IdempotencyClaim): Promise<CreateResult | undefined> {
    return (await this.readClaim(claim)).result;
  }

  /** What a claim's key names: a replay or conflict, else nothing (`releasedJobId`: its job was deleted). */
  private async readClaim(
    claim: IdempotencyClaim,
  ): Promise<{ result?: CreateResult; releasedJobId?: string }> {
    const now = this.clock();
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.idempotency(claim.userId, claim.key),
        ConsistentRead: true,
      }),
    );
    if (!Item || isExpired(Item, now)) return {};
    if (Item.requestHash !== claim.requestHash) return { result: { outcome: 'conflict' } };
    const job = await this.get(String(Item.jobId));
    if (!job) return { releasedJobId: String(Item.jobId) };
    // The key is per user already; a job of someone else is never handed back, whatever
    // the key's item says (it answers as a reused key, revealing nothing of that job).
    if (job.userId !== claim.userId) return { result: { outcome: 'conflict' } };
    return { result: { outcome: 'replayed', job } };
  }

  async get(jobId: string, options: { consistent?: boolean } = {}): Promise<JobRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.job(jobId),
        ConsistentRead: options.consistent ?? true,
      }),
    );
    if (!Item || isExpired(Item, this.clock())) return undefined;
    return toJobRecord(Item);
  }

  /**
   * A user's jobs, newest first, optionally filtered by status and type. The user index
   * holds keys and `type` only (it is written once per job), so each index page is
   * completed with one BatchGetItem per 100 jobs; status and expiry are checked on the
   * jobs read. At most LIST_EXAMINE_BUDGET index entries are examined per call: a filter
   * that matches rarely answers a short page with a cursor rather than reading on.
   */
  async listForUser(query: ListQuery): Promise<ListPage> {
    const jobs: JobRecord[] = [];
    const partition = keys.userIndexPartition(query.userId);
    let startKey: Record<string, unknown> | undefined = query.after
      ? this.userIndexStartKey(partition, query.after)
      : undefined;
    const range = userIndexRange(query);
    const now = this.clock();
    let examined = 0;
    let lastSortKey: string | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.user,
          KeyConditionExpression: `GSI1PK = :pk${range.condition}`,
          ...(query.type
            ? {
                FilterExpression: '#type = :type',
                ExpressionAttributeNames: { '#type': 'type' },
                ExpressionAttributeValues: { ':pk': partition, ':type': query.type, ...range.values },
              }
            : { ExpressionAttributeValues: { ':pk': partition, ...range.values } }),
          ScanIndexForward: false,
          Limit: Math.max((query.limit - jobs.length) * 2, 25),
          ExclusiveStartKey: startKey,
        }),
      );
      const entries = page.Items ?? [];
      const found = await this.getMany(entries.map((entry) => String(entry.PK).slice('JOB#'.length)));
      let taken = 0;
      for (const entry of entries) {
        if (jobs.length === query.limit) break;
        taken += 1;
        lastSortKey = String(entry.GSI1SK);
        const job = found.get(String(entry.PK).slice('JOB#'.length));
        if (!job || isExpired(job, now) || (query.status && job.status !== query.status)) continue;
        jobs.push(job);
      }
      examined += taken;
      startKey = page.LastEvaluatedKey;
      const moreInIndex = taken < entries.length || startKey !== undefined;
      if (jobs.length === query.limit) return { jobs, lastSortKey: moreInIndex ? lastSortKey : undefined };
      if (moreInIndex && examined >= LIST_EXAMINE_BUDGET) return { jobs, lastSortKey };
    } while (startKey);
    return { jobs };
  }

  /**
   * Jobs by id with BatchGetItem (eventually consistent: a list is a view, not a decision),
   * 100 keys a request, unprocessed keys retried; a job that is gone is simply absent.
   */
  private async getMany(jobIds: readonly string[]): Promise<Map<string, JobRecord>> {
    const found = new Map<string, JobRecord>();
    for (let offset = 0; offset < jobIds.length; offset += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] | undefined = jobIds
        .slice(offset, offset + BATCH_GET_KEYS)
        .map((jobId) => keys.job(jobId));
      for (let round = 0; pending && pending.length > 0; round += 1) {
        if (round === BATCH_GET_ROUNDS) throw new Error('The table kept refusing to read a page of jobs');
        const response: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const record = toJobRecord(item);
          found.set(record.jobId, record);
        }
        pending = response.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /**
   * Jobs of `statuses` across all users, newest first, from the sparse status index: each
   * status is spread over STATUS_SHARDS partitions (no hot key), so a page is a k-way merge
   * of one descending Query per partition, and the page's `resume` holds each partition's
   * own position. The index is keys only: each merged run of entries is completed with one
   * BatchGetItem (0.5 read units a job of ≤ 4 KB); the job read decides, so an entry the
   * index has not caught up with (the job moved on, or expired) is skipped, and a job is
   * listed only under the status it has now. At most `examineBudget` entries are examined:
   * a rare filter answers a short page with a way to continue rather than reading on.
   * Cost: a page of one status is at most 8 Queries (keys of ~150 bytes, ≤ 100 a Query:
   * 0.5 to 2 read units each; a partition read to its end is not queried again) plus 0.5
   * read units per job read; every status (32 partitions) is four times the Queries.
   */
  async searchByStatus(search: StatusSearch): Promise<StatusSearchPage> {
    const partitions = search.statuses.flatMap((status) => {
      if (!STATUS_INDEXED.includes(status)) throw new Error(`The status index holds no ${status} jobs`);
      return this.statusPartitions(status).map((partition) => ({ status, partition }));
    });
    const progress: PartitionProgress[] = [...(search.resume ?? partitions.map(() => 'start' as const))];
    if (progress.length !== partitions.length) {
      throw new Error(`Expected ${partitions.length} partition positions, got ${progress.length}`);
    }
    const budget = search.examineBudget ?? LIST_EXAMINE_BUDGET;
    // All of a page may sit in one partition; keys are small, so reading as many from each costs little.
    const keysPerQuery = Math.min(Math.max(search.limit, 25), BATCH_GET_KEYS);
    const merge = new NewestFirstMerge(
      partitions.map(({ partition }, index) =>
        this.statusIndexSource(partition, progress[index] ?? 'start', keysPerQuery),
      ),
      newestFirst,
    );
    const jobs: JobRecord[] = [];
    const now = this.clock();
    let examined = 0;
    for (;;) {
      const needed = search.limit - jobs.length;
      const wanted = search.matches ? Math.min(Math.max(needed * 2, 25), BATCH_GET_KEYS) : needed;
      const batch = await merge.take(Math.min(wanted, budget - examined));
      const found = await this.getMany(batch.map(({ entry }) => entry.jobId));
      // Partitions with entries merged but not taken: the page filled before them.
      const untaken = new Set<number>();
      for (const { source, entry } of batch) {
        if (jobs.length === search.limit) {
          untaken.add(source);
          continue;
        }
        examined += 1;
        progress[source] = entry;
        const job = found.get(entry.jobId);
        if (!job || isExpired(job, now) || job.status !== partitions[source]?.status) continue;
        if (search.matches && !search.matches(job)) continue;
        jobs.push(job);
      }
      if (merge.drained && untaken.size === 0) return { jobs };
      if (jobs.length === search.limit || examined >= budget) {
        return {
          jobs,
          resume: progress.map((position, index) =>
            merge.isDrained(index) && !untaken.has(index) ? 'end' : position,
          ),
        };
      }
    }
  }

  /** One partition of the status index, newest first, read from `from` on. */
  private statusIndexSource(
    partition: string,
    from: PartitionProgress,
    keysPerQuery: number,
  ): MergeSource<StatusIndexPosition> {
    let startKey: Record<string, unknown> | undefined =
      typeof from === 'object'
        ? { GSI2PK: partition, GSI2SK: from.createdAt, ...keys.job(from.jobId) }
        : undefined;
    return {
      exhausted: from === 'end',
      readPage: async () => {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INDEX.status,
            KeyConditionExpression: 'GSI2PK = :pk',
            ExpressionAttributeValues: { ':pk': partition },
            ScanIndexForward: false,
            Limit: keysPerQuery,
            ExclusiveStartKey: startKey,
          }),
        );
        startKey = page.LastEvaluatedKey;
        return {
          entries: (page.Items ?? []).map((item) => ({
            createdAt: String(item.GSI2SK),
            jobId: String(item.PK).slice('JOB#'.length),
          })),
          more: startKey !== undefined,
        };
      },
    };
  }

  private userIndexStartKey(partition: string, sortKey: string): Record<string, unknown> {
    const jobId = sortKey.slice(sortKey.lastIndexOf('#') + 1);
    return { GSI1PK: partition, GSI1SK: sortKey, ...keys.job(jobId) };
  }

  /**
   * Moves a job from one of `from` to `to` in one conditional write, appending the
   * transition to its log and keeping the status index and the lease in step.
   */
  async transition(request: TransitionRequest): Promise<TransitionResult> {
    for (const from of request.from) {
      if (!canTransition(from, request.to)) {
        throw new Error(`Transition ${from} → ${request.to} is not allowed`);
      }
    }
    const event: JobEvent = {
      at: request.at,
      from: request.from.length === 1 ? (request.from[0] as JobStatus) : null,
      to: request.to,
      attempt: request.attempt,
      ...(request.error ? { error: request.error } : {}),
    };
    const set: Record<string, unknown> = {
      status: request.to,
      updatedAt: request.at,
      ...(STATUS_INDEXED.includes(request.to)
        ? { GSI2PK: keys.statusIndexPartition(request.to, request.jobId) }
        : {}),
      ...(request.error ? { error: request.error } : {}),
      ...request.set,
    };
    const remove = new Set<string>(request.remove ?? []);
    // Off the happy path a job enters the sparse status index; back on it, it leaves. A
    // job that never left the happy path has no keys there, so removing them writes nothing.
    if (!STATUS_INDEXED.includes(request.to))
      for (const attribute of STATUS_INDEX_ATTRIBUTES) remove.add(attribute);
    if (isTerminal(request.to)) {
      const days = request.to === 'completed' ? this.retention.completedDays : this.retention.failedDays;
      set.expiresAt = epochSeconds(request.at) + days * 24 * 3600;
      for (const attribute of LEASE_ATTRIBUTES) remove.add(attribute);
      remove.add('cancelRequested');
    } else {
      remove.add('expiresAt');
    }
    if (request.to !== 'processing') for (const attribute of LEASE_ATTRIBUTES) remove.add(attribute);
    for (const attribute of Object.keys(set)) remove.delete(attribute);

    const names: Record<string, string> = { '#events': 'events', '#version': 'version' };
    const values: Record<string, unknown> = { ':one': 1, ':empty': [] };
    const assignments: string[] = [];
    Object.entries(set).forEach(([attribute, value], index) => {
      names[`#s${index}`] = attribute;
      values[`:s${index}`] = value;
      assignments.push(`#s${index} = :s${index}`);
    });
    values[':events'] = [...(request.precedingEvents ?? []), event];
    assignments.push('#events = list_append(if_not_exists(#events, :empty), :events)');
    if (STATUS_INDEXED.includes(request.to)) {
      // The status index sorts by creation (oldest first for the stranded-job sweep).
      names['#statusSort'] = 'GSI2SK';
      names['#createdAt'] = 'createdAt';
      assignments.push('#statusSort = #createdAt');
    }
    const removals = [...remove].map((attribute, index) => {
      names[`#r${index}`] = attribute;
      return `#r${index}`;
    });

    const conditions = ['attribute_exists(PK)'];
    names['#status'] = 'status';
    const fromPlaceholders = request.from.map((from, index) => {
      values[`:from${index}`] = from;
      return `:from${index}`;
    });
    conditions.push(`#status IN (${fromPlaceholders.join(', ')})`);
    if (request.expectedAttempts !== undefined) {
      names['#attempts'] = 'attempts';
      values[':expectedAttempts'] = request.expectedAttempts;
      conditions.push('#attempts = :expectedAttempts');
    }
    if (request.expectedLeaseUntil !== undefined) {
      names['#leaseUntil'] = 'leaseUntil';
      values[':expectedLease'] = request.expectedLeaseUntil;
      conditions.push('#leaseUntil = :expectedLease');
    }

    const updateExpression = [
      `SET ${assignments.join(', ')}`,
      'ADD #version :one',
      removals.length > 0 ? `REMOVE ${removals.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(request.jobId),
          UpdateExpression: updateExpression,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ok: true, job: await this.boundEvents(toJobRecord(Attributes ?? {})) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { ok: false, current: await this.get(request.jobId) };
      }
      throw error;
    }
  }

  /**
   * Keeps the transition log inside the item bounded (a job retried again and again would
   * otherwise grow it to DynamoDB's item limit): once it passes its bounds, the oldest
   * entries after the first are removed in a follow-up write, off the happy path. The
   * write is conditional on the log's length, so entries appended meanwhile are never
   * lost; a failed trim is left to the next transition, the outcome is already recorded.
   */
  private async boundEvents(job: JobRecord): Promise<JobRecord> {
    const drop = Math.min(eventsToDrop(job.events), MAX_EVENTS_DROPPED_PER_WRITE);
    if (drop === 0) return job;
    const removals = Array.from({ length: drop }, (_, index) => `#events[${index + 1}]`);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(job.jobId),
          UpdateExpression: `REMOVE ${removals.join(', ')}`,
          ConditionExpression: 'size(#events) = :length',
          ExpressionAttributeNames: { '#events': 'events' },
          ExpressionAttributeValues: { ':length': job.events.length },
        }),
      );
    } catch {
      return job;
    }
    return { ...job, events: [...job.events.slice(0, 1), ...job.events.slice(1 + drop)] };
  }

  /** Asks a running job to stop; the worker sees the flag on its next lease renewal. */
  async requestCancel(jobId: string, at: string): Promise<TransitionResult> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          UpdateExpression: 'SET cancelRequested = :true, updatedAt = :at ADD #version :one',
          ConditionExpression: 'attribute_exists(PK) AND #status = :processing',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: { ':true': true, ':at': at, ':processing': 'processing', ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ok: true, job: toJobRecord(Attributes ?? {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { ok: false, current: await this.get(jobId) };
      throw error;
    }
  }

  /**
   * Extends a running attempt's lease, optionally with new progress, and reports whether
   * a cancel was requested. Undefined when the attempt no longer owns the job. New progress
   * (or item counts) is a change clients see, so it bumps `version`; a bare renewal does not.
   */
  async renewLease(
    jobId: string,
    attempt: number,
    leaseUntil: string,
    update: { progress?: JobProgress; set?: Readonly<Record<string, unknown>> } = {},
  ): Promise<LeaseState | undefined> {
    const names: Record<string, string> = { '#status': 'status', '#attempts': 'attempts' };
    const values: Record<string, unknown> = {
      ':processing': 'processing',
      ':attempt': attempt,
      ':leaseUntil': leaseUntil,
      ':updatedAt': this.clock().toISOString(),
    };
    const assignments = ['leaseUntil = :leaseUntil', 'updatedAt = :updatedAt'];
    const fields = { ...update.set, ...(update.progress ? { progress: update.progress } : {}) };
    Object.entries(fields).forEach(([attribute, value], index) => {
      names[`#f${index}`] = attribute;
      values[`:f${index}`] = value;
      assignments.push(`#f${index} = :f${index}`);
    });
    const changed = Object.keys(fields).length > 0;
    if (changed) {
      names['#version'] = 'version';
      values[':one'] = 1;
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          UpdateExpression: `SET ${assignments.join(', ')}${changed ? ' ADD #version :one' : ''}`,
          ConditionExpression: '#status = :processing AND #attempts = :attempt',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { cancelRequested: Attributes?.cancelRequested === true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Jobs by id (eventually consistent), 100 a request; a job that is gone is absent. */
  async getJobs(jobIds: readonly string[]): Promise<Map<string, JobRecord>> {
    return this.getMany(jobIds);
  }

  /**
   * Deletes a finished job's item in one conditional write: it must still be finished
   * (completed, failed or cancelled — a retry that got there first wins) and match
   * `condition`. Its user-index and status-index entries leave with it; the stream's
   * REMOVE record counts nothing, so statistics keep the job. Costs one write unit per KB
   * of the item plus one per index entry (a failed condition: one, and a read of the job).
   * Bulk items and files are the caller's to remove next (removeJobRows, job-removal.ts).
   */
  async removeFinished(jobId: string, condition: RemovalCondition = {}): Promise<RemovalResult> {
    const statuses = condition.status ? [condition.status] : TERMINAL_STATUSES;
    if (!statuses.every(isTerminal))
      throw new Error(`Only finished jobs can be removed, not ${condition.status}`);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const placeholders = statuses.map((status, index) => {
      values[`:status${index}`] = status;
      return `:status${index}`;
    });
    const conditions = ['attribute_exists(PK)', `#status IN (${placeholders.join(', ')})`];
    if (condition.finishedBefore !== undefined) {
      names['#completedAt'] = 'completedAt';
      names['#createdAt'] = 'createdAt';
      values[':before'] = condition.finishedBefore;
      conditions.push(
        '(#completedAt < :before OR (attribute_not_exists(#completedAt) AND #createdAt < :before))',
      );
    }
    if (condition.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = condition.type;
      conditions.push('#type = :type');
    }
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { ok: true, job: toJobRecord(Attributes ?? {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { ok: false, current: await this.get(jobId) };
      throw error;
    }
  }

  /**
   * Deletes every row left in a removed job's partition (bulk items `ITEM#…`, any event
   * rows), 100 keys a Query page and 25 a BatchWriteItem. Costs the Query's read of those
   * rows (0.5 read units per 4 KB) and one write unit per row; a job without rows costs one
   * empty Query (0.5 read units). Returns the rows deleted.
   */
  async removeJobRows(jobId: string): Promise<number> {
    const { PK } = keys.job(jobId);
    let removed = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
          ExpressionAttributeValues: { ':pk': PK },
          ProjectionExpression: '#pk, #sk',
          Limit: PARTITION_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      // The job item itself goes only through removeFinished's condition.
      const rows = (page.Items ?? []).filter((row) => row.SK !== keys.job(jobId).SK);
      await this.deleteAll(rows.map((row) => ({ PK: row.PK, SK: row.SK })));
      removed += rows.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return removed;
  }

  /** Deletes `rowKeys` with BatchWriteItem, 25 a request, unprocessed ones retried with backoff. */
  private async deleteAll(rowKeys: readonly Record<string, unknown>[]): Promise<void> {
    for (let offset = 0; offset < rowKeys.length; offset += BATCH_WRITE_ITEMS) {
      let pending = rowKeys
        .slice(offset, offset + BATCH_WRITE_ITEMS)
        .map((Key) => ({ DeleteRequest: { Key } }));
      for (let round = 0; pending.length > 0; round += 1) {
        if (round === BATCH_WRITE_ROUNDS) throw new UnprocessedWriteError();
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
        const response: BatchWriteCommandOutput = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (response.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }

  /**
   * One page of a status-index partition's entries created before `before`, oldest first
   * (the key condition reads only those: nothing newer is paid for). Keys only, ~150 bytes
   * an entry: a page of 100 costs 0.5 to 2 read units. Entries lag their jobs (the index is
   * eventually consistent): callers re-read each job.
   */
  async pageStatusPartitionBefore(
    partition: string,
    before: string,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<KeyedPage<string>> {
    const page: QueryCommandOutput = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.status,
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK < :before',
        ExpressionAttributeValues: { ':pk': partition, ':before': before },
        ScanIndexForward: true,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      entries: (page.Items ?? []).map((item) => String(item.PK).slice('JOB#'.length)),
      ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}),
    };
  }

  /**
   * One page (up to 1 MB read) of a Scan of the whole table for finished jobs of `status`
   * that finished before `finishedBefore` (`completedAt`, else `createdAt`), optionally of
   * one type. The filter applies after the read: a Scan costs a read of every item of the
   * table (0.5 read units per 4 KB, ≈ 128 read units a page), whatever matches. Only for
   * jobs no index holds (completed ones); expired jobs (TTL pending) are left to TTL.
   */
  async scanFinishedPage(
    condition: Required<Pick<RemovalCondition, 'status' | 'finishedBefore'>> & Pick<RemovalCondition, 'type'>,
    startKey?: Record<string, unknown>,
  ): Promise<KeyedPage<JobRecord>> {
    const names: Record<string, string> = {
      '#sk': 'SK',
      '#status': 'status',
      '#completedAt': 'completedAt',
      '#createdAt': 'createdAt',
    };
    const values: Record<string, unknown> = {
      ':job': keys.job('').SK,
      ':status': condition.status,
      ':before': condition.finishedBefore,
    };
    const filters = [
      '#sk = :job',
      '#status = :status',
      '(#completedAt < :before OR (attribute_not_exists(#completedAt) AND #createdAt < :before))',
    ];
    if (condition.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = condition.type;
      filters.push('#type = :type');
    }
    const page: ScanCommandOutput = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: startKey,
      }),
    );
    const now = this.clock();
    return {
      entries: (page.Items ?? []).filter((item) => !isExpired(item, now)).map(toJobRecord),
      ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}),
    };
  }

  /** The partitions of the status index holding jobs of `status`, to read one by one. */
  statusPartitions(status: JobStatus): string[] {
    return Array.from({ length: STATUS_SHARDS }, (_, shard) =>
      keys.statusIndexPartitionOfShard(status, shard),
    );
  }

  /**
   * Up to `limit` jobs of one status-index partition whose index sort key (an ISO time no
   * later than the job's creation) is before `before`, oldest first. The index is read
   * eventually consistent and may be keys-only: callers re-read each job.
   */
  async findInStatusPartition(partition: string, before: string, limit: number): Promise<string[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: INDEX.status,
        KeyConditionExpression: 'GSI2PK = :pk AND GSI2SK < :before',
        ExpressionAttributeValues: { ':pk': partition, ':before': before },
        ProjectionExpression: 'PK',
        Limit: limit,
      }),
    );
    return Items.map((item) => String(item.PK).slice('JOB#'.length));
  }

  /**
   * Records that the sweep re-sent the message of a job still waiting as `job` shows it
   * (same status, attempt and `updatedAt`). Not a change of the job: no event, no version,
   * no `updatedAt`, so the stream consumers see nothing to send or push. False when the
   * job moved on meanwhile.
   */
  async recordRedispatch(job: JobRecord, marker: RedispatchMarker): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(job.jobId),
          UpdateExpression: 'SET #redispatch = :marker',
          ConditionExpression: '#status = :status AND #attempts = :attempts AND #updatedAt = :since',
          ExpressionAttributeNames: {
            '#redispatch': 'redispatch',
            '#status': 'status',
            '#attempts': 'attempts',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':marker': marker,
            ':status': job.status,
            ':attempts': job.attempts,
            ':since': job.updatedAt,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
