import { App, Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { JobQueueStack } from '../../lib/job-queue-stack';
import { nagFindings, synth } from './synth';

type Resources = Record<string, { Type: string; Properties: any }>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const essential = synth();
const everything = synth({ alarms: 'all', dashboard: true });
const resourcesOf = (template: Template) => template.toJSON().Resources as Resources;
const functionsOf = (template: Template) =>
  Object.entries(resourcesOf(template)).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
const apiFunction = (template: Template) => {
  const found = functionsOf(template).find(([id]) => /^ApiHandler[0-9A-F]{8}$/.test(id));
  if (!found) throw new Error('No API function');
  return found;
};
const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
/** Every policy statement granting a cloudwatch: action, with the role(s) it is attached to. */
const cloudwatchStatements = (template: Template) =>
  Object.values(resourcesOf(template))
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((statement) => actionsOf(statement).some((action) => action.startsWith('cloudwatch:')))
        .map((statement) => ({ statement, roles: policy.Properties.Roles as { Ref: string }[] })),
    );

describe('GET /v1/admin/alarms: the API function reads this stack’s alarms, and nothing more', () => {
  test.each([
    ['essential', essential.template],
    ['all', everything.template],
  ])(
    'alarms "%s": every alarm’s logical id starts with Monitoring, so CloudFormation names them JobQueue-Monitoring…',
    (_, template) => {
      const alarmIds = Object.entries(resourcesOf(template))
        .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
        .map(([id, resource]) => {
          // A fixed AlarmName would break the prefix the function asks for.
          expect(resource.Properties.AlarmName).toBeUndefined();
          return id;
        });
      expect(alarmIds.length).toBeGreaterThanOrEqual(12);
      for (const id of alarmIds) expect(id).toMatch(/^Monitoring/);
      const [, fn] = apiFunction(template);
      expect(fn.Properties.Environment.Variables.ALARM_NAME_PREFIX).toBe('JobQueue-Monitoring');
    },
  );

  test('the prefix follows the stack’s name (a plain string: no reference to the alarms, no cycle)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new JobQueueStack(app, 'Staging-Jobs');
    const [, fn] = apiFunction(Template.fromStack(stack));
    expect(fn.Properties.Environment.Variables.ALARM_NAME_PREFIX).toBe('Staging-Jobs-Monitoring');
  });

  test('only the API function may call DescribeAlarms, on alarm ARNs with the prefix only (no `*`)', () => {
    const template = everything.template;
    const statements = cloudwatchStatements(template);
    expect(statements).toHaveLength(1);
    const [{ statement, roles }] = statements as [(typeof statements)[number]];
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: 'cloudwatch:DescribeAlarms',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudwatch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':alarm:JobQueue-Monitoring*',
          ],
        ],
      },
    });
    const [, fn] = apiFunction(template);
    expect(roles).toEqual([{ Ref: fn.Properties.Role['Fn::GetAtt'][0] }]);
  });

  test('the route exists behind the JWT authorizer', () => {
    const routes = Object.values(resourcesOf(essential.template)).filter(
      (resource) =>
        resource.Type === 'AWS::ApiGatewayV2::Route' &&
        resource.Properties.RouteKey === 'GET /v1/admin/alarms',
    );
    expect(routes).toHaveLength(1);
    expect(routes[0]?.Properties.AuthorizationType).toBe('JWT');
  });

  test('cdk-nag: the prefix wildcard is suppressed with its reason, and nothing else is left', () => {
    expect(nagFindings(essential.stack, 'error')).toEqual([]);
    expect(nagFindings(everything.stack, 'error')).toEqual([]);
    const [, fn] = apiFunction(essential.template);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const role = essential.template.toJSON().Resources[roleId];
    const suppressions = role.Metadata.cdk_nag.rules_to_suppress as {
      id: string;
      reason: string;
      applies_to?: unknown[];
    }[];
    expect(suppressions).toContainEqual(
      expect.objectContaining({
        id: 'AwsSolutions-IAM5',
        reason: expect.stringContaining('JobQueue-Monitoring'),
        applies_to: [{ regex: '/^Resource::arn:.+:cloudwatch:.+:alarm:JobQueue-Monitoring\\*$/g' }],
      }),
    );
  });
});

describe('a stack deployed to a fixed account and region', () => {
  test('the ARN is literal, and the suppression still matches it', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new JobQueueStack(app, 'JobQueue', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    Aspects.of(app).add(new AwsSolutionsChecks());
    const template = Template.fromStack(stack);
    const [{ statement }] = cloudwatchStatements(template) as [{ statement: Statement; roles: unknown }];
    expect(statement.Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:JobQueue-Monitoring*'],
      ],
    });
    const findings = nagFindings(stack, 'error').filter((finding) =>
      String(finding.entry.data).includes('cloudwatch'),
    );
    expect(findings).toEqual([]);
  });
});
