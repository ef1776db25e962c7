import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobRecord } from './job';

/** Results larger than this go to S3 and the job item keeps a reference (items stay small). */
export const INLINE_RESULT_LIMIT_BYTES = 200 * 1024;

export interface ResultRef {
  readonly key: string;
  readonly bytes: number;
}

/** A job item whose result was offloaded carries `resultRef` instead of `result`. */
type StoredJob = JobRecord & { readonly resultRef?: ResultRef };

/**
 * Claim check for job results: small results stay inline, large ones are written to
 * `results/<jobId>/result.json` and read back when a client asks for the job.
 */
export class ResultStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucketName: string,
  ) {}

  /** The attributes to store for `result`: `{ result }` or `{ resultRef }`. */
  async prepare(jobId: string, result: unknown): Promise<Record<string, unknown>> {
    const body = JSON.stringify(result ?? null);
    const bytes = Buffer.byteLength(body);
    if (bytes <= INLINE_RESULT_LIMIT_BYTES) return { result: result ?? null };
    const key = `results/${jobId}/result.json`;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucketName,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );
    const resultRef: ResultRef = { key, bytes };
    return { resultRef };
  }

  /** The job with its offloaded result loaded back in, and the reference removed. */
  async resolve(job: JobRecord): Promise<JobRecord> {
    const { resultRef, ...rest } = job as StoredJob;
    if (!resultRef) return job;
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucketName, Key: resultRef.key }));
    const text = (await object.Body?.transformToString()) ?? 'null';
    return { ...rest, result: JSON.parse(text) as unknown };
  }
}
