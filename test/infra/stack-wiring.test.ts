import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ContextError, stackPropsFromContext } from '../../lib/app-context';
import type { JobTable } from '../../lib/constructs/job-table';
import type { PriorityQueues } from '../../lib/constructs/priority-queues';
import type { ProgressSocket } from '../../lib/constructs/progress-socket';
import { StreamConsumers } from '../../lib/constructs/stream-consumers';
import { JobQueueStack } from '../../lib/job-queue-stack';
import { passesFilters } from '../../local/event-filter';
import { logicalId, nagFindings, synth } from './synth';

const { stack, template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;

/** Every IAM action granted to the role of the function whose logical id matches `pattern`. */
const actionsOf = (pattern: RegExp) => {
  const fn = logicalId(template, 'AWS::Lambda::Function', pattern);
  const role = resources[fn]?.Properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => policy.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .map((statement: { Action: string | string[]; Resource: unknown }) => statement);
};

describe('cdk-nag', () => {
  test('AwsSolutions checks run on the stack with no unsuppressed error or warning', () => {
    expect(nagFindings(stack, 'error')).toEqual([]);
    expect(nagFindings(stack, 'warning')).toEqual([]);
  });

  test('no policy grants a wildcard action; "*" resources only for X-Ray, which has no resource ARNs', () => {
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      // CDK's BucketDeployment handler (the dashboard site) has its own scoped-wildcard test.
      if (JSON.stringify(resource.Properties.Roles).includes('CustomCDKBucketDeployment')) continue;
      for (const statement of resource.Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat();
        for (const action of actions) expect(action).not.toMatch(/\*$/);
        if ([statement.Resource].flat().includes('*')) {
          expect(actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });
});

describe('progress WebSocket', () => {
  test('$connect is guarded by a REQUEST authorizer reading the token query parameter', () => {
    const authorizer = logicalId(template, 'AWS::ApiGatewayV2::Authorizer', /^ProgressApiTokenAuthorizer/);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizer },
    });
  });

  test('routes $disconnect, subscribe, unsubscribe, ping and $default', () => {
    const socketRoutes = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .filter((resource) => resource.Properties.ApiId.Ref?.startsWith('ProgressApi'))
      .map((resource) => resource.Properties.RouteKey)
      .sort();
    expect(socketRoutes).toEqual(['$connect', '$default', '$disconnect', 'ping', 'subscribe', 'unsubscribe']);
  });

  test('notify and the socket function may post to connections of this API only', () => {
    for (const pattern of [/^StreamsNotify[0-9A-F]{8}$/, /^ProgressHandler[0-9A-F]{8}$/]) {
      const manage = actionsOf(pattern).find((statement) =>
        [statement.Action].flat().includes('execute-api:ManageConnections'),
      );
      expect(manage).toBeDefined();
      expect(JSON.stringify(manage?.Resource)).toContain('/@connections/');
      expect(JSON.stringify(manage?.Resource)).toContain('ProgressApi');
    }
  });
});

describe('stream consumers', () => {
  test.each(['Dispatch', 'Notify'])(
    '%s reads job items only, from the start, with bisect, bounded retries and a failure destination',
    (name) => {
      const mapping = logicalId(
        template,
        'AWS::Lambda::EventSourceMapping',
        new RegExp(`^Streams${name}DynamoDB`),
      );
      const properties = resources[mapping]?.Properties;
      expect(properties).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(properties.DestinationConfig.OnFailure.Destination).toBeDefined();
      const pattern = JSON.parse(properties.FilterCriteria.Filters[0].Pattern);
      expect(pattern.dynamodb.NewImage.SK.S).toEqual(['JOB']);
      expect(properties.EventSourceArn['Fn::GetAtt'][1]).toBe('StreamArn');
    },
  );

  test('each stream consumer handles one batch of a shard at a time by default; the dispatcher’s factor is a prop', () => {
    const factorOf = (of: Template, name: string) =>
      of.toJSON().Resources[
        logicalId(of, 'AWS::Lambda::EventSourceMapping', new RegExp(`^Streams${name}DynamoDB`))
      ]?.Properties.ParallelizationFactor;
    expect(factorOf(template, 'Dispatch')).toBe(1);
    expect(factorOf(template, 'Notify')).toBe(1);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new JobQueueStack(app, 'Parallel');
    const part = <T>(id: string) => stack.node.findChild(id) as unknown as T;
    new StreamConsumers(stack, 'Lanes', {
      table: part<JobTable>('Jobs'),
      queues: part<PriorityQueues>('Queues'),
      socket: part<ProgressSocket>('Progress'),
      dispatchParallelization: 10,
    });
    expect(factorOf(Template.fromStack(stack), 'Dispatch')).toBe(1);
    const lanes = Template.fromStack(stack).toJSON().Resources;
    const dispatchMappings = Object.entries(lanes).filter(
      ([id, resource]) =>
        (resource as { Type: string }).Type === 'AWS::Lambda::EventSourceMapping' &&
        /^LanesDispatchDynamoDB/.test(id),
    );
    expect(
      dispatchMappings.map(
        ([, resource]) =>
          (resource as { Properties: { ParallelizationFactor: number } }).Properties.ParallelizationFactor,
      ),
    ).toEqual([10]);
  });

  test.each([0, 11, 2.5])('a dispatch parallelization of %p is refused at synth', (factor) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new JobQueueStack(app, 'Parallel');
    const part = <T>(id: string) => stack.node.findChild(id) as unknown as T;
    expect(
      () =>
        new StreamConsumers(stack, 'Extra', {
          table: part<JobTable>('Jobs'),
          queues: part<PriorityQueues>('Queues'),
          socket: part<ProgressSocket>('Progress'),
          dispatchParallelization: factor,
        }),
    ).toThrow(/dispatchParallelization/);
  });

  test('the dispatcher sees only new jobs, jobs starting to wait and jobs ending; no removals', () => {
    const patternsOf = (name: string) => {
      const mapping = logicalId(
        template,
        'AWS::Lambda::EventSourceMapping',
        new RegExp(`^Streams${name}DynamoDB`),
      );
      return resources[mapping]?.Properties.FilterCriteria.Filters.map((filter: { Pattern: string }) =>
        JSON.parse(filter.Pattern),
      );
    };
    expect(patternsOf('Dispatch')).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { SK: { S: ['JOB'] } } } },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          NewImage: { SK: { S: ['JOB'] }, status: { S: ['queued', 'delayed', 'retrying'] } },
          OldImage: { status: { S: [{ 'anything-but': ['queued', 'delayed', 'retrying'] }] } },
        },
      },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          NewImage: { SK: { S: ['JOB'] }, status: { S: ['completed', 'failed', 'cancelled'] } },
          OldImage: { status: { S: [{ 'anything-but': ['completed', 'failed', 'cancelled'] }] } },
        },
      },
    ]);
    expect(patternsOf('Notify')).toHaveLength(1);
  });

  test('notify sees only changes of watched jobs: a job nobody subscribed to never invokes it', () => {
    const mapping = logicalId(template, 'AWS::Lambda::EventSourceMapping', /^StreamsNotifyDynamoDB/);
    const patterns = resources[mapping]?.Properties.FilterCriteria.Filters.map(
      (filter: { Pattern: string }) => JSON.parse(filter.Pattern),
    );
    expect(patterns).toEqual([
      {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { SK: { S: ['JOB'] }, watched: { BOOL: [true] } } },
      },
    ]);
    // The local cloud applies the synthesized filter the way Lambda does.
    const filters = resources[mapping]?.Properties.FilterCriteria.Filters;
    const change = (watched?: boolean) => ({
      eventName: 'MODIFY',
      dynamodb: {
        NewImage: { SK: { S: 'JOB' }, ...(watched === undefined ? {} : { watched: { BOOL: watched } }) },
      },
    });
    expect([true, false, undefined].map((watched) => passesFilters(filters, change(watched)))).toEqual([
      true,
      false,
      false,
    ]);
    // The dispatcher still sees every job (it sends them all).
    const dispatch = logicalId(template, 'AWS::Lambda::EventSourceMapping', /^StreamsDispatchDynamoDB/);
    expect(resources[dispatch]?.Properties.FilterCriteria.Filters[0].Pattern).not.toContain('watched');
  });

  test('dispatch may send to the work queues; notify only to its failure destination', () => {
    const sends = (pattern: RegExp) =>
      actionsOf(pattern).some(
        (statement) =>
          [statement.Action].flat().includes('sqs:SendMessage') &&
          /Queues(Critical|High|Normal|Low)Queue/.test(JSON.stringify(statement.Resource)),
      );
    expect(sends(/^StreamsDispatch[0-9A-F]{8}$/)).toBe(true);
    expect(sends(/^StreamsNotify[0-9A-F]{8}$/)).toBe(false);
  });
});

describe('file store', () => {
  test('the bucket blocks public access, encrypts, logs access and expires uploads', () => {
    const bucket = logicalId(template, 'AWS::S3::Bucket', /^FilesBucket/);
    expect(resources[bucket]?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^FilesAccessLogs/) } },
    });
    const rules = resources[bucket]?.Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: expect.any(Number) }),
      ]),
    );
    expect(resources[bucket]?.Properties.CorsConfiguration.CorsRules[0].AllowedMethods).toContain('PUT');
  });

  test('the bucket policy refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('schedules', () => {
  test('the stranded-job sweep runs every minute (stalled jobs need none: their messages resurface)', () => {
    const rule = logicalId(template, 'AWS::Events::Rule', /^SchedulesSweepRule/);
    expect(resources[rule]?.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(resources[rule]?.Properties.Targets[0].Arn['Fn::GetAtt'][0]).toMatch(/^SchedulesSweep/);
  });

  test('analytics.rollup is submitted every 5 minutes with the scheduled time', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('analytics.rollup') }),
        }),
      ],
    });
  });
});

describe('monitoring', () => {
  const full = synth({ alarms: 'all', dashboard: true }).template;
  const alarmIds = (of: Template) =>
    Object.keys(of.findResources('AWS::CloudWatch::Alarm')).map((id) => id.replace(/[0-9A-F]{8}$/, ''));

  test('by default: only the alarms that say work is lost or stuck (12, $1.20 a month), and no dashboard', () => {
    const essential = ['DeadLetters', 'OldestMessage'].flatMap((alarm) =>
      ['Critical', 'High', 'Normal', 'Low'].map((priority) => `Monitoring${priority}${alarm}`),
    );
    expect(alarmIds(template).sort()).toEqual(
      [
        ...essential,
        'MonitoringDispatchIteratorAge',
        'MonitoringDispatchReplayStalled',
        'MonitoringDispatchReplayDeadLetters',
        'MonitoringApiServerErrors',
      ].sort(),
    );
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    const deadLetters = logicalId(template, 'AWS::CloudWatch::Alarm', /^MonitoringCriticalDeadLetters/);
    expect(resources[deadLetters]?.Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  test('alarms "all": each priority also alarms on near-expiry, worker errors and throttles; both stream consumers on lag', () => {
    for (const priority of ['Critical', 'High', 'Normal', 'Low']) {
      for (const alarm of [
        'DeadLetters',
        'OldestMessage',
        'MessagesNearExpiry',
        'WorkerErrors',
        'WorkerThrottles',
      ]) {
        logicalId(full, 'AWS::CloudWatch::Alarm', new RegExp(`^Monitoring${priority}${alarm}`));
      }
    }
    full.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge' }, 2);
    expect(alarmIds(full)).toHaveLength(26);
    full.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(full.toJSON().Outputs)).toContain('DashboardName');
  });
});

test('the stack outputs what clients and the local cloud need', () => {
  expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
    [
      'AlarmTopicArn',
      'BucketName',
      'DashboardUrl',
      'HttpApiUrl',
      'TableName',
      'UserPoolClientId',
      'UserPoolId',
      'WebSocketUrl',
    ].sort(),
  );
});

test('no resource has a hard-coded physical name', () => {
  const named = Object.entries(resources).filter(([, resource]) =>
    ['TableName', 'QueueName', 'BucketName', 'FunctionName', 'RoleName'].some(
      (name) => typeof resource.Properties?.[name] === 'string',
    ),
  );
  expect(named.map(([id]) => id)).toEqual([]);
});

describe('X-Ray tracing', () => {
  const functionsOf = (template: Template) =>
    Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.['jobqueue:entry'] !== undefined,
    );

  test('is off by default: no function traced, the Powertools tracer switched off, no X-Ray permission', () => {
    const { template } = synth();
    const functions = functionsOf(template);
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const fn of functions) {
      expect(fn.Properties.TracingConfig).toBeUndefined();
      expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('xray:PutTraceSegments');
  });

  test('"active" traces every function and lets it write traces', () => {
    const { template } = synth({ tracing: lambda.Tracing.ACTIVE });
    const functions = functionsOf(template);
    for (const fn of functions) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('true');
    }
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies.split('xray:PutTraceSegments').length - 1).toBe(functions.length);
  });
});

describe('context validation', () => {
  const read = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

  test('reads typed values from cdk.json or -c strings', () => {
    expect(read({ 'jobqueue:rateLimitPerMinute': '30', 'jobqueue:concurrency': '{"low":2}' })).toMatchObject({
      rateLimitPerMinute: 30,
      concurrency: { low: 2 },
      nag: true,
    });
  });

  test('reads the abuse limits: recipient domains, email and upload quotas', () => {
    expect(
      read({
        'jobqueue:emailRecipientDomains': '["example.com"]',
        'jobqueue:emailDailyQuota': '10',
        'jobqueue:uploadsPerDay': 20,
      }),
    ).toMatchObject({ emailRecipientDomains: ['example.com'], emailDailyQuota: 10, uploadsPerDay: 20 });
    expect(read({})).toMatchObject({ emailRecipientDomains: undefined, emailDailyQuota: undefined });
  });

  test('reads the workers’ lease', () => {
    expect(read({}).workerLeaseSeconds).toBeUndefined();
    expect(read({ 'jobqueue:workerLeaseSeconds': '10' }).workerLeaseSeconds).toBe(10);
    expect(() => read({ 'jobqueue:workerLeaseSeconds': 'short' })).toThrow(
      /jobqueue:workerLeaseSeconds must be a number/,
    );
  });

  test('reads the tracing switch: off unless "active"', () => {
    expect(read({}).tracing).toBeUndefined();
    expect(read({ 'jobqueue:tracing': 'off' }).tracing).toBeUndefined();
    expect(read({ 'jobqueue:tracing': 'active' }).tracing).toBe(lambda.Tracing.ACTIVE);
  });

  test.each([
    [{ 'jobqueue:tracing': 'sampled' }, /jobqueue:tracing must be "active" or "off"/],
    [{ 'jobqueue:rateLimitPerMinute': 'lots' }, /jobqueue:rateLimitPerMinute must be a number/],
    [{ 'jobqueue:concurrency': { urgent: 5 } }, /keyed by critical, high, normal, low/],
    [{ 'jobqueue:deletionProtection': 'maybe' }, /must be true or false/],
    [{ 'jobqueue:jwtIssuer': 'https://issuer.example' }, /given together/],
    [{ 'jobqueue:emailRecipientDomains': [1] }, /must be a list of strings/],
    [{ 'jobqueue:emailDailyQuota': 'many' }, /jobqueue:emailDailyQuota must be a number/],
  ])('rejects %p', (context, message) => {
    expect(() => read(context)).toThrow(ContextError);
    expect(() => read(context)).toThrow(message);
  });
});
