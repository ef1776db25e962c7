import { logicalId, synth } from './synth';

const { template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;

const statementsOf = (roleId: RegExp): Record<string, any>[] => {
  const role = logicalId(template, 'AWS::IAM::Role', roleId);
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
  ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
};

const granting = (statements: Record<string, any>[], action: string) =>
  statements.filter((statement) => [statement.Action].flat().includes(action));

const tableId = logicalId(template, 'AWS::DynamoDB::GlobalTable', /^JobsTable/);

describe('removing jobs (DELETE /v1/jobs/{jobId}, system.cleanup)', () => {
  test('the low worker, which runs system.cleanup, may Scan the table itself and no index', () => {
    const scans = granting(statementsOf(/^WorkersLowWorkerRole[0-9A-F]{8}$/), 'dynamodb:Scan');
    expect(scans.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });

  test.each(['Critical', 'High', 'Normal'])('the %s worker may not Scan nor delete files', (name) => {
    const statements = statementsOf(new RegExp(`^Workers${name}WorkerRole[0-9A-F]{8}$`));
    expect(granting(statements, 'dynamodb:Scan')).toEqual([]);
    expect(granting(statements, 's3:DeleteObject')).toEqual([]);
  });

  test.each([
    ['the API', /^ApiHandlerRole[0-9A-F]{8}$/],
    ['the low worker', /^WorkersLowWorkerRole[0-9A-F]{8}$/],
  ])('%s may delete job files under results/ and payloads/ only, never uploads', (_name, role) => {
    const deletes = granting(statementsOf(role), 's3:DeleteObject');
    const resourcesText = JSON.stringify(deletes.map((statement) => statement.Resource));
    expect(deletes).toHaveLength(1);
    expect(resourcesText).toContain('/results/*');
    expect(resourcesText).toContain('/payloads/*');
    expect(resourcesText).not.toContain('uploads/');
    expect([deletes[0]?.Action].flat()).toEqual(['s3:DeleteObject']);
  });

  test('the API may delete table items but not Scan', () => {
    const statements = statementsOf(/^ApiHandlerRole[0-9A-F]{8}$/);
    expect(granting(statements, 'dynamodb:DeleteItem').length).toBeGreaterThan(0);
    expect(granting(statements, 'dynamodb:Scan')).toEqual([]);
  });

  test('DELETE /v1/jobs/{jobId} and POST /v1/admin/clean are gateway routes behind the authorizer', () => {
    const routes = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::ApiGatewayV2::Route',
    );
    for (const key of ['DELETE /v1/jobs/{jobId}', 'POST /v1/admin/clean']) {
      const route = routes.find((resource) => resource.Properties.RouteKey === key);
      expect(route?.Properties.AuthorizationType).toBe('JWT');
    }
  });
});
