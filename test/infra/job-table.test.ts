import { Match } from 'aws-cdk-lib/assertions';
import { synth } from './synth';

describe('job table', () => {
  const { template } = synth();

  test('has the stream, TTL, point-in-time recovery and on-demand billing', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  test('has the user and status indexes, each projecting only what its readers need, and no lease index', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'UserJobs',
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          // `type` never changes: updates of a job never write this index.
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] },
        },
        {
          IndexName: 'StatusJobs',
          KeySchema: [
            { AttributeName: 'GSI2PK', KeyType: 'HASH' },
            { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
    // Stalled jobs surface through their own message's visibility: no index is re-keyed
    // by every lease renewal.
    const tables = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    expect(tables).toHaveLength(1);
    const properties = tables[0]?.Properties ?? {};
    const indexes = properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((index) => index.IndexName)).not.toContain('GSI3');
    const attributes = (properties.AttributeDefinitions as { AttributeName: string }[]).map(
      (attribute) => attribute.AttributeName,
    );
    expect(attributes).not.toContain('LEASEPK');
    expect(attributes).not.toContain('LEASESK');
  });

  test('is kept when the stack is deleted, and deletion protection follows the prop', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
    synth({ deletionProtection: true }).template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
    });
  });

  test('grants name each index instead of index/*', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const resources = JSON.stringify(statements.flatMap((statement) => statement.Resource));
    expect(resources).toContain('/index/UserJobs');
    expect(resources).toContain('/index/StatusJobs');
    expect(resources).not.toContain('/index/*');
    expect(resources).not.toContain('/index/GSI3');
  });
});
