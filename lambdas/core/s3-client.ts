import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from './observability';

/**
 * One S3 client per execution environment. A custom endpoint (AWS_ENDPOINT_URL_S3, as
 * the local cloud sets) has no per-bucket DNS names, so requests then use path-style
 * addressing; in AWS the default virtual-hosted style is kept.
 */
export const s3Client = tracer.captureAWSv3Client(
  new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) }),
);
