import { App, Stack } from 'aws-cdk-lib';
import { FileStore } from '../../lib/constructs/file-store';
import { synth } from './synth';

const { template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;

/** Function logical id → the S3 actions its role may use on objects under `prefix`. */
const s3ActionsOn = (prefix: string): Record<string, string[]> => {
  const functionsByRole = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const role = resource.Properties.Role['Fn::GetAtt'][0] as string;
    functionsByRole.set(role, [...(functionsByRole.get(role) ?? []), id]);
  }
  const granted: Record<string, string[]> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    for (const statement of resource.Properties.PolicyDocument.Statement) {
      if (!JSON.stringify(statement.Resource).includes(`/${prefix}*`)) continue;
      const actions = [statement.Action].flat().filter((action: string) => action.startsWith('s3:'));
      for (const { Ref: role } of resource.Properties.Roles as { Ref: string }[]) {
        for (const fn of functionsByRole.get(role) ?? []) {
          granted[fn] = [...new Set([...(granted[fn] ?? []), ...actions])].sort();
        }
      }
    }
  }
  return granted;
};

describe('offloaded payloads (payloads/ in the file bucket)', () => {
  test('the API may write and read them, the workers read and write them, no other function touches them', () => {
    const granted = s3ActionsOn('payloads/');
    const holders = Object.keys(granted).sort();
    expect(holders).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ApiHandler/),
        expect.stringMatching(/^WorkersCriticalWorker/),
        expect.stringMatching(/^WorkersLowWorker/),
      ]),
    );
    expect(holders.filter((id) => !/^(ApiHandler|Workers(Critical|High|Normal|Low)Worker)/.test(id))).toEqual(
      [],
    );
    // Removing jobs (the API's DELETE, the low worker's system.cleanup) also deletes them.
    for (const id of holders)
      expect(granted[id]).toEqual(
        /^(ApiHandler|WorkersLowWorker)/.test(id)
          ? ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']
          : ['s3:GetObject', 's3:PutObject'],
      );
  });

  test("the API reads offloaded results and deletes a removed job's, but never writes them", () => {
    const granted = s3ActionsOn('results/');
    const api = Object.keys(granted).find((id) => id.startsWith('ApiHandler'));
    expect(api && granted[api]).toEqual(['s3:DeleteObject', 's3:GetObject']);
  });

  test('payload objects expire by a lifecycle rule (60 days by default)', () => {
    const bucket = Object.entries(resources).find(
      ([id, resource]) => resource.Type === 'AWS::S3::Bucket' && id.startsWith('FilesBucket'),
    )?.[1];
    expect(bucket?.Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Prefix: 'payloads/', ExpirationInDays: 60, Status: 'Enabled' }),
    );
  });

  test('an invalid payload retention is refused at synth, naming it', () => {
    const stack = new Stack(new App(), 'Files');
    expect(() => new FileStore(stack, 'Files', { payloadExpirationDays: 0 })).toThrow(
      /payloadExpirationDays/,
    );
  });
});

describe('job exports (exports/ in the file bucket)', () => {
  test('every worker may stream one up (multipart: PutObject, AbortMultipartUpload) and sign its link; only the API and the low worker delete them; nothing lists parts', () => {
    const granted = s3ActionsOn('exports/');
    const workers = Object.keys(granted).filter((id) => /^Workers(Critical|High|Normal|Low)Worker/.test(id));
    expect(workers).toHaveLength(4);
    for (const id of workers) {
      expect(granted[id]).toEqual(
        id.startsWith('WorkersLowWorker')
          ? ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject']
          : ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      );
    }
    const api = Object.keys(granted).find((id) => id.startsWith('ApiHandler'));
    expect(api && granted[api]).toEqual(['s3:DeleteObject']);
    expect(
      Object.keys(granted).filter((id) => !/^(ApiHandler|Workers(Critical|High|Normal|Low)Worker)/.test(id)),
    ).toEqual([]);
  });

  test('the export grant names the exports/ prefix only, never the whole bucket', () => {
    const statements = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((resource) => resource.Properties.PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().includes('s3:AbortMultipartUpload'));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const resourcesText = JSON.stringify(statement.Resource);
      expect(resourcesText).toContain('/exports/*');
      expect(resourcesText).not.toMatch(/\/(uploads|results|payloads)\/\*|"\/\*"/);
    }
  });

  test('exports expire by a lifecycle rule (7 days by default, like a completed job)', () => {
    const bucket = Object.entries(resources).find(
      ([id, resource]) => resource.Type === 'AWS::S3::Bucket' && id.startsWith('FilesBucket'),
    )?.[1];
    expect(bucket?.Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' }),
    );
  });

  test('an invalid export retention is refused at synth, naming it', () => {
    const stack = new Stack(new App(), 'Files');
    expect(() => new FileStore(stack, 'Files', { exportExpirationDays: 0 })).toThrow(/exportExpirationDays/);
  });
});
