import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { readConfig } from '../../core/config';
import { s3Client } from '../../core/s3-client';
import { JobFailure } from '../job-failure';
import { parseSections, type ResumeSections } from './sections';
import { extractText, type ResumeFormat } from './text-extraction';
import { isOwnUpload } from './uploads';

const config = readConfig(['bucketName', 'maxUploadBytes']);

export interface Extraction {
  readonly fileHash: string;
  readonly format: ResumeFormat;
  readonly pages?: number;
  readonly text: string;
  readonly sections: ResumeSections;
}

const isMissing = (error: unknown) =>
  error instanceof NoSuchKey ||
  error instanceof NotFound ||
  (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);

const fileNotFound = () =>
  new JobFailure('FILE_NOT_FOUND', 'No such file: upload it with POST /v1/uploads first.', {
    retryable: false,
  });

/** Where one user's extraction of one file (by content hash) is kept. */
const cacheKey = (userId: string, fileHash: string) => `results/extractions/${userId}/${fileHash}.json`;

/**
 * Reads an upload of `userId` and extracts it — or returns the extraction made earlier of
 * the same bytes for the same user (`cached: true`), without extracting again. Size and
 * type are checked again here (HeadObject), whatever the upload declared.
 */
export const extractUpload = async (
  fileKey: string,
  userId: string,
  signal: AbortSignal,
): Promise<Extraction & { cached: boolean }> => {
  if (!isOwnUpload(fileKey, userId)) throw fileNotFound();
  let head: HeadObjectCommandOutput;
  try {
    head = await s3Client.send(new HeadObjectCommand({ Bucket: config.bucketName, Key: fileKey }), {
      abortSignal: signal,
    });
  } catch (error) {
    if (isMissing(error)) throw fileNotFound();
    throw error;
  }
  if ((head.ContentLength ?? 0) > config.maxUploadBytes) {
    throw new JobFailure(
      'FILE_TOO_LARGE',
      `The file is ${head.ContentLength} bytes; resumes may be at most ${config.maxUploadBytes} bytes.`,
      { retryable: false },
    );
  }
  const object = await s3Client.send(new GetObjectCommand({ Bucket: config.bucketName, Key: fileKey }), {
    abortSignal: signal,
  });
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) throw fileNotFound();
  const fileHash = createHash('sha256').update(bytes).digest('hex');

  const key = cacheKey(userId, fileHash);
  try {
    const cached = await s3Client.send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }), {
      abortSignal: signal,
    });
    const text = await cached.Body?.transformToString();
    if (text) return { ...(JSON.parse(text) as Extraction), cached: true };
  } catch (error) {
    if (!isMissing(error)) throw error;
  }

  const extracted = await extractText(bytes, head.ContentType, signal);
  const extraction: Extraction = {
    fileHash,
    format: extracted.format,
    ...(extracted.pages === undefined ? {} : { pages: extracted.pages }),
    text: extracted.text,
    sections: parseSections(extracted.text),
  };
  await s3Client.send(
    new PutObjectCommand({
      Bucket: config.bucketName,
      Key: key,
      Body: JSON.stringify(extraction),
      ContentType: 'application/json',
    }),
    { abortSignal: signal },
  );
  return { ...extraction, cached: false };
};
