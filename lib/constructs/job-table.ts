import { RemovalPolicy } from 'aws-cdk-lib';
import type { MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface JobTableProps {
  /** Refuse `cdk destroy`/replacement of the table. @default false */
  readonly deletionProtection?: boolean;
  /** What happens to the table when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Index names; not physical names, but part of the table's schema the code relies on.
 * Named anew when their projection changed (CloudFormation cannot change an index's
 * projection in place), over the same key attributes, so existing items are indexed again.
 */
export const JOB_TABLE_INDEXES = { user: 'UserJobs', status: 'StatusJobs' } as const;

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/**
 * The single job-tracking table: jobs, bulk items, idempotency keys, rate windows,
 * statistics counters, WebSocket connections and subscriptions (key shapes in
 * lambdas/core/table-keys.ts). On demand, point-in-time recovery, TTL on `expiresAt`,
 * and a NEW_AND_OLD_IMAGES stream that drives dispatch (outbox) and notify.
 */
export class JobTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: JobTableProps = {}) {
    super(scope, id);
    const key = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: key('PK'),
      sortKey: key('SK'),
      billing: dynamodb.Billing.onDemand(),
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? false,
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        // A user's jobs, newest first. Its keys never change and it projects only `type`
        // (which never changes either), so it is written once, at submit: a list page reads
        // the keys here and the jobs with one BatchGetItem (a read costs a fifth of a write).
        {
          indexName: JOB_TABLE_INDEXES.user,
          partitionKey: key('GSI1PK'),
          sortKey: key('GSI1SK'),
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: ['type'],
        },
        // Sparse: only jobs off the happy path (delayed, retrying, failed, cancelled) carry
        // its keys, sharded so no status is a hot key. A job that completes normally never
        // writes it. Read by the stranded-job sweep, admin search and bulk retry.
        {
          indexName: JOB_TABLE_INDEXES.status,
          partitionKey: key('GSI2PK'),
          sortKey: key('GSI2SK'),
          projectionType: dynamodb.ProjectionType.KEYS_ONLY,
        },
        // No lease index: a stalled job is found by its own message, whose visibility the
        // worker keeps short while it runs (lambdas/worker/message-visibility.ts).
      ],
    });
  }

  /** The table and each of its indexes, named one by one (no `index/*` wildcard). */
  private get resourceArns(): string[] {
    return [
      this.table.tableArn,
      ...Object.values(JOB_TABLE_INDEXES).map((index) => `${this.table.tableArn}/index/${index}`),
    ];
  }

  /** Item reads and writes, including conditional and transactional writes; no scans, no table management. */
  grantReadWriteData(grantee: IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...READ_ACTIONS, ...WRITE_ACTIONS],
      resourceArns: this.resourceArns,
    });
  }

  /**
   * Only `actions` on the table's items (no index), and only on items whose partition key
   * starts with one of `leadingKeyPrefixes` (`dynamodb:LeadingKeys`; ForAllValues so a
   * batch request must stay inside the prefixes with every key it names).
   */
  grantItemAccess(
    grantee: IGrantable,
    actions: readonly string[],
    leadingKeyPrefixes: readonly string[],
  ): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': {
          'dynamodb:LeadingKeys': leadingKeyPrefixes.map((prefix) => `${prefix}*`),
        },
      },
    });
  }

  /** Reads records of the table's stream by shard and sequence number (replaying a failed batch). */
  grantStreamRecordsRead(grantee: IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetShardIterator', 'dynamodb:GetRecords'],
      resourceArns: [this.table.tableStreamArn as string],
    });
  }

  /**
   * Scans of the table itself (no index): for system.cleanup, which finds completed jobs
   * (in no index) by reading the whole table, page by page.
   */
  grantScan(grantee: IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Scan'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** Item reads and queries. */
  grantReadData(grantee: IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_ACTIONS, resourceArns: this.resourceArns });
  }

  /** Throttled requests against the table. */
  metricThrottledRequests(props?: MetricOptions) {
    return this.table.metricThrottledRequestsForOperations(props);
  }
}
