import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ulid } from 'ulidx';
import { type UploadGrant, uploadRequestSchema } from '../core/contract';
import { PayloadTooLargeError } from '../core/errors';
import type { User } from '../core/user';
import { parseOrThrow } from '../core/validation';
import type { ApiDependencies } from './dependencies';

/** How long a presigned upload URL stays valid. */
const UPLOAD_URL_SECONDS = 15 * 60;

export type { UploadGrant };

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
