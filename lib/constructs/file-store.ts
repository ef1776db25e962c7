import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { requireIntegerInRange } from '../validation';

export interface FileStoreProps {
  /** Days an upload (`uploads/`) is kept. @default 7 */
  readonly uploadExpirationDays?: number;
  /** Days a generated file or offloaded result (`results/`) is kept. @default 30 */
  readonly resultExpirationDays?: number;
  /**
   * Days an offloaded payload (`payloads/`) is kept: longer than a job lives unless it is
   * retried again and again (7 days of delay, its runs, 30 days as failed). A job retried
   * after its payload expired fails with `PAYLOAD_EXPIRED`. @default 60
   */
  readonly payloadExpirationDays?: number;
  /**
   * Days a job export (`exports/`) is kept: as long as a completed job is by default (its
   * download link expires after an hour; a new link needs a new export). @default 7
   */
  readonly exportExpirationDays?: number;
  /** Browser origins allowed to PUT uploads. @default ['*'] */
  readonly corsAllowedOrigins?: string[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const UPLOADS = 'uploads/';
const RESULTS = 'results/';
const PAYLOADS = 'payloads/';
const EXPORTS = 'exports/';

/**
 * What writing an export takes. lib-storage's Upload sends one PutObject for a small file,
 * else CreateMultipartUpload, UploadPart and CompleteMultipartUpload (all authorized by
 * s3:PutObject) and, when it gives up, AbortMultipartUpload. It never lists parts.
 * GetObject: the worker signs the download link with its own credentials.
 */
const EXPORT_WRITER_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

/**
 * Uploads (resume files, presigned PUT) and large results: private, TLS-only, encrypted,
 * access-logged, with lifecycle expiry so nothing is kept forever.
 */
export class FileStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: FileStoreProps = {}) {
    super(scope, id);
    const uploadDays = requireIntegerInRange(
      this,
      'uploadExpirationDays',
      props.uploadExpirationDays ?? 7,
      1,
      3650,
    );
    const resultDays = requireIntegerInRange(
      this,
      'resultExpirationDays',
      props.resultExpirationDays ?? 30,
      1,
      3650,
    );
    const payloadDays = requireIntegerInRange(
      this,
      'payloadExpirationDays',
      props.payloadExpirationDays ?? 60,
      1,
      3650,
    );
    const exportDays = requireIntegerInRange(
      this,
      'exportExpirationDays',
      props.exportExpirationDays ?? 7,
      1,
      3650,
    );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'files/',
      removalPolicy,
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT],
          allowedOrigins: props.corsAllowedOrigins ?? ['*'],
          allowedHeaders: ['content-type', 'content-length'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        { prefix: UPLOADS, expiration: Duration.days(uploadDays) },
        { prefix: RESULTS, expiration: Duration.days(resultDays) },
        { prefix: PAYLOADS, expiration: Duration.days(payloadDays) },
        { prefix: EXPORTS, expiration: Duration.days(exportDays) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /**
   * Workers: read uploads, results and offloaded payloads; write results (generated
   * files, offloaded results) and payloads (moved out to make room for an outcome).
   */
  grantWorkerAccess(grantee: IGrantable): iam.Grant[] {
    return [
      this.grantObjects(grantee, ['s3:GetObject'], [UPLOADS, RESULTS, PAYLOADS]),
      this.grantObjects(grantee, ['s3:PutObject'], [RESULTS, PAYLOADS]),
    ];
  }

  /**
   * data.export (any worker: a user may submit it at any priority): stream a file to
   * `exports/` as a multipart upload, abort it, and sign its download link.
   */
  grantExportWrite(grantee: IGrantable): iam.Grant {
    return this.grantObjects(grantee, EXPORT_WRITER_ACTIONS, [EXPORTS]);
  }

  /**
   * The API: sign upload URLs (signed with its own credentials, so it needs PutObject on
   * uploads), offload large payloads at submission, read offloaded results and payloads,
   * and check the bucket is there (HeadBucket).
   */
  grantApiAccess(grantee: IGrantable): iam.Grant[] {
    return [
      this.grantObjects(grantee, ['s3:PutObject'], [UPLOADS, PAYLOADS]),
      this.grantObjects(grantee, ['s3:GetObject'], [RESULTS, PAYLOADS]),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['s3:ListBucket'],
        resourceArns: [this.bucket.bucketArn],
      }),
    ];
  }

  /**
   * Removing jobs (DELETE /v1/jobs/{jobId}, system.cleanup): delete a job's own files,
   * which live under results/, payloads/ and exports/ only — never uploads.
   */
  grantJobFileRemoval(grantee: IGrantable): iam.Grant {
    return this.grantObjects(grantee, ['s3:DeleteObject'], [RESULTS, PAYLOADS, EXPORTS]);
  }

  private grantObjects(grantee: IGrantable, actions: string[], prefixes: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
    });
    const principal = grantee.grantPrincipal;
    if (principal instanceof iam.Role) {
      NagSuppressions.addResourceSuppressions(
        principal,
        prefixes.map((prefix) => ({
          id: 'AwsSolutions-IAM5',
          reason: `Object keys under ${prefix} are created at run time (one per upload or job).`,
          appliesTo: [
            `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${prefix}*`,
          ],
        })),
        true,
      );
    }
    return grant;
  }
}
