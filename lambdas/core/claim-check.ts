import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ValidationError } from './errors';
import {
  estimateItemBytes,
  ITEM_SIZE_BUDGET_BYTES,
  SUBMISSION_ITEM_BUDGET_BYTES,
  TRANSITION_ALLOWANCE_BYTES,
} from './item-size';
import type { JobRecord, ObjectRef } from './job';

/** Results larger than this (serialized) go to S3 and the job item keeps a reference. */
export const INLINE_RESULT_LIMIT_BYTES = 200 * 1024;
/** Payloads larger than this (serialized) go to S3 at submission, the same way. */
export const INLINE_PAYLOAD_LIMIT_BYTES = 200 * 1024;

/** Key and index attributes the store adds to a job record (PK, GSI keys, lease keys), bounded. */
const KEY_ATTRIBUTES_BYTES = 1024;

/** The fields that can leave the item, with the attribute that then points at them. */
const REFERENCE: Readonly<Record<LargeField, 'payloadRef' | 'resultRef'>> = {
  payload: 'payloadRef',
  result: 'resultRef',
};
export type LargeField = 'payload' | 'result';

export const payloadKey = (jobId: string): string => `payloads/${jobId}/payload.json`;
export const resultKey = (jobId: string): string => `results/${jobId}/result.json`;

const KEY_OF: Readonly<Record<LargeField, (jobId: string) => string>> = {
  payload: payloadKey,
  result: resultKey,
};

const serialize = (value: unknown): string => JSON.stringify(value ?? null);

/** A write of job attributes that keeps the item within its size budget. */
export interface FittedUpdate {
  readonly set: Record<string, unknown>;
  readonly remove: string[];
}

/**
 * Claim check for the two large fields of a job, its payload and its result: a field too
 * large for the item is written to S3 (`payloads/<jobId>/payload.json`,
 * `results/<jobId>/result.json`) and the item keeps `payloadRef` / `resultRef` instead.
 * Readers get the job back as if nothing had moved (`resolve`, `payloadOf`).
 */
export class ClaimCheck {
  constructor(
    private readonly s3: S3Client,
    private readonly bucketName: string,
  ) {}

  /**
   * The job as it is stored at submission: a payload over INLINE_PAYLOAD_LIMIT_BYTES, or
   * one that would leave the item no room for its outcome, moves to S3.
   */
  async prepareSubmission(job: JobRecord): Promise<JobRecord> {
    if (!payloadLeavesItem(job)) return job;
    const { payload, ...rest } = job;
    return { ...rest, payloadRef: await this.put(payloadKey(job.jobId), serialize(payload)) } as JobRecord;
  }

  /**
   * `set` (the attributes an outcome or a transition writes to `job`) rewritten so the
   * item stays within ITEM_SIZE_BUDGET_BYTES: a result over INLINE_RESULT_LIMIT_BYTES
   * always moves to S3; then, while the projected item is over the budget, the result
   * and then the payload move too. The projection counts the job as read, the new
   * attributes and room for the events the transition appends.
   */
  async fitUpdate(job: JobRecord, set: Readonly<Record<string, unknown>>): Promise<FittedUpdate> {
    const fitted: Record<string, unknown> = { ...set };
    const remove: string[] = [];
    if ('result' in fitted) {
      fitted.result = fitted.result ?? null;
      if (Buffer.byteLength(serialize(fitted.result)) > INLINE_RESULT_LIMIT_BYTES) {
        await this.moveOut(job.jobId, 'result', fitted);
      }
    }
    const projected = () => {
      const item: Record<string, unknown> = { ...job, ...fitted };
      for (const attribute of remove) delete item[attribute];
      return projectedBytes(item) + TRANSITION_ALLOWANCE_BYTES;
    };
    if ('result' in fitted && projected() > ITEM_SIZE_BUDGET_BYTES) {
      await this.moveOut(job.jobId, 'result', fitted);
    }
    if (job.payload !== undefined && !job.payloadRef && projected() > ITEM_SIZE_BUDGET_BYTES) {
      fitted.payloadRef = await this.put(payloadKey(job.jobId), serialize(job.payload));
      remove.push('payload');
    }
    return { set: fitted, remove };
  }

  /**
   * The job with its offloaded fields read back in and their references removed. A
   * field whose object is gone (expired) is left out.
   */
  async resolve(job: JobRecord, fields: readonly LargeField[] = ['payload', 'result']): Promise<JobRecord> {
    const resolved: Record<string, unknown> = { ...job };
    await Promise.all(
      fields.map(async (field) => {
        const ref = job[REFERENCE[field]];
        if (!ref) return;
        const value = await this.read(ref.key);
        delete resolved[REFERENCE[field]];
        if (value.found) resolved[field] = value.value;
      }),
    );
    return resolved as unknown as JobRecord;
  }

  /** The payload a handler runs with; `{ found: false }` when its object is gone. */
  async payloadOf(job: JobRecord): Promise<{ found: true; value: unknown } | { found: false }> {
    if (!job.payloadRef) return { found: true, value: job.payload };
    return this.read(job.payloadRef.key);
  }

  private async moveOut(
    jobId: string,
    field: LargeField,
    attributes: Record<string, unknown>,
  ): Promise<void> {
    attributes[REFERENCE[field]] = await this.put(KEY_OF[field](jobId), serialize(attributes[field]));
    delete attributes[field];
  }

  private async put(key: string, body: string): Promise<ObjectRef> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );
    return { key, bytes: Buffer.byteLength(body) };
  }

  private async read(key: string): Promise<{ found: true; value: unknown } | { found: false }> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucketName, Key: key }));
      const text = (await object.Body?.transformToString()) ?? 'null';
      return { found: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return { found: false };
      throw error;
    }
  }
}

const payloadLeavesItem = (job: JobRecord): boolean =>
  Buffer.byteLength(serialize(job.payload)) > INLINE_PAYLOAD_LIMIT_BYTES ||
  projectedBytes(job) > SUBMISSION_ITEM_BUDGET_BYTES;

/**
 * Refuses, before anything is written, a submission that cannot be stored with room for
 * its outcome even with its payload in S3: metadata stays inline (lists and snapshots
 * show it without reading S3), so it is what must shrink (400 naming `metadata`).
 */
export const assertStorable = (job: JobRecord): void => {
  const { payload: _payload, ...withoutPayload } = job;
  const item = payloadLeavesItem(job)
    ? { ...withoutPayload, payloadRef: { key: payloadKey(job.jobId), bytes: 0 } }
    : job;
  if (projectedBytes(item) <= SUBMISSION_ITEM_BUDGET_BYTES) return;
  throw new ValidationError('The job is too large to store.', [
    {
      field: job.metadata ? 'metadata' : '(body)',
      message: `the job must fit in ${Math.floor(SUBMISSION_ITEM_BUDGET_BYTES / 1024)} KB as stored; put large input in the payload or an upload`,
    },
  ]);
};

/** The item's estimated size with its key attributes. */
const projectedBytes = (item: object): number =>
  estimateItemBytes(item as Record<string, unknown>) + KEY_ATTRIBUTES_BYTES;
