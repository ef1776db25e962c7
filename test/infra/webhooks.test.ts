import { App } from 'aws-cdk-lib';
import { ContextError, stackPropsFromContext } from '../../lib/app-context';
import { logicalId, synth } from './synth';

const { template } = synth();
const resources = template.toJSON().Resources as Record<string, any>;
const secret = logicalId(template, 'AWS::SecretsManager::Secret', /^WebhooksSecret/);
const apiFunction = logicalId(template, 'AWS::Lambda::Function', /^ApiHandler[0-9A-F]{8}$/);
const workerFunctions = ['Critical', 'High', 'Normal', 'Low'].map((name) =>
  logicalId(template, 'AWS::Lambda::Function', new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`)),
);

/** Logical ids of the functions whose role holds a statement matching `wanted`. */
const functionsAllowed = (wanted: (statement: any) => boolean): string[] => {
  const roles = new Set(
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.PolicyDocument.Statement.some(wanted))
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref)),
  );
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .filter(([, resource]) => roles.has(resource.Properties.Role?.['Fn::GetAtt']?.[0]))
    .map(([id]) => id)
    .sort();
};

/** Statements on this secret (the AI key has its own, see ai-provider.test.ts). */
const onWebhookSecret = (statement: any) =>
  [statement.Resource].flat().some((resource: any) => resource?.Ref === secret);
const secretStatements = () =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter(onWebhookSecret);

describe('webhook secret', () => {
  test('only the API function (GET /v1/webhooks/secret) and the workers (signing) may read it', () => {
    const readers = functionsAllowed(onWebhookSecret);
    expect(readers).toEqual([apiFunction, ...workerFunctions].sort());
  });

  test('readers get GetSecretValue on this secret alone: no DescribeSecret, no wildcard', () => {
    const statements = secretStatements();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement).toMatchObject({
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: secret },
      });
    }
  });

  test('the API function and every worker name the secret by ARN and refuse loopback by default', () => {
    for (const fn of [apiFunction, ...workerFunctions]) {
      const variables = resources[fn].Properties.Environment.Variables;
      expect({ fn, arn: variables.WEBHOOK_SECRET_ARN, loopback: variables.WEBHOOK_ALLOW_LOOPBACK }).toEqual({
        fn,
        arn: { Ref: secret },
        loopback: 'false',
      });
    }
  });

  test('webhookAllowLoopback reaches the API function and every worker', () => {
    const { template: local } = synth({ webhookAllowLoopback: true });
    const functions = Object.entries(local.toJSON().Resources as Record<string, any>).filter(([id]) =>
      /^(ApiHandler|Workers\w+Worker)[0-9A-F]{8}$/.test(id),
    );
    expect(functions).toHaveLength(5);
    for (const [id, fn] of functions) {
      expect({ id, loopback: fn.Properties.Environment.Variables.WEBHOOK_ALLOW_LOOPBACK }).toEqual({
        id,
        loopback: 'true',
      });
    }
  });
});

describe('context jobqueue:webhookAllowLoopback', () => {
  const read = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

  test('is read as a boolean from cdk.json or a -c string, and unset by default', () => {
    expect(read({ 'jobqueue:webhookAllowLoopback': true }).webhookAllowLoopback).toBe(true);
    expect(read({ 'jobqueue:webhookAllowLoopback': 'false' }).webhookAllowLoopback).toBe(false);
    expect(read({}).webhookAllowLoopback).toBeUndefined();
  });

  test.each(['yes', 1, ['127.0.0.1']])('fails synth for %p', (value) => {
    const context = { 'jobqueue:webhookAllowLoopback': value };
    expect(() => read(context)).toThrow(ContextError);
    expect(() => read(context)).toThrow(/jobqueue:webhookAllowLoopback must be true or false/);
  });
});
