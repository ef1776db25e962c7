import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ulid } from 'ulidx';
import * as z from 'zod';
import { PayloadTooLargeError } from '../core/errors';
import type { User } from '../core/user';
import { parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

/** A file name without path separators or control characters (C0 range and DEL). */
function isPlainFileName(name: string): boolean {
  if (name === '.' || name === '..') return false;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '/' || char === '\\' || code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** How long a presigned upload URL stays valid. */
const UPLOAD_URL_SECONDS = 15 * 60;

const uploadRequestSchema = z
  .object({
    fileName: z
      .string()
      .min(1)
      .max(255)
      .refine((name) => isPlainFileName(name), 'must be a plain file name'),
    contentType: z
      .string()
      .max(255)
      .regex(
        /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i,
        'must be a MIME type such as application/pdf',
      ),
    bytes: z.number().int().positive(),
  })
  .strict();

export interface UploadGrant {
  readonly uploadUrl: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly fileKey: string;
  readonly expiresAt: string;
  readonly maxBytes: number;
}

/**
 * POST /v1/uploads: a presigned S3 PUT for one file. Content type and length are part of
 * the signature, so S3 itself refuses a body of another size or type.
 */
export const createUpload = async (
  body: unknown,
  user: User,
  deps: ApiDependencies,
): Promise<UploadGrant> => {
  const request = parseOrThrow(uploadRequestSchema, body, 'The upload request is invalid.');
  const maxBytes = deps.settings.maxUploadBytes;
  if (request.bytes > maxBytes) {
    throw new PayloadTooLargeError(
      `The file is ${request.bytes} bytes; uploads may be at most ${maxBytes} bytes.`,
    );
  }
  await deps.quotas.reserve('uploads', user.id, 1, deps.settings.uploadsPerDay);
  const fileKey = `uploads/${user.id}/${ulid()}/${request.fileName}`;
  const headers = { 'content-type': request.contentType, 'content-length': String(request.bytes) };
  const uploadUrl = await getSignedUrl(
    deps.s3,
    new PutObjectCommand({
      Bucket: deps.settings.bucketName,
      Key: fileKey,
      ContentType: request.contentType,
      ContentLength: request.bytes,
    }),
    { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) },
  );
  return {
    uploadUrl,
    method: 'PUT',
    headers,
    fileKey,
    expiresAt: new Date(deps.clock().getTime() + UPLOAD_URL_SECONDS * 1000).toISOString(),
    maxBytes,
  };
};
