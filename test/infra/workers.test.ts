import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, synth } from './synth';

const PRIORITIES = ['Critical', 'High', 'Normal', 'Low'] as const;

describe('workers', () => {
  const { template } = synth();

  test.each([
    ['Critical', 50],
    ['High', 20],
    ['Normal', 10],
    ['Low', 5],
  ])(
    'the %s queue feeds its own worker with maxConcurrency %i and partial batch responses',
    (name, concurrency) => {
      const queue = logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}Queue`));
      const worker = logicalId(
        template,
        'AWS::Lambda::Function',
        new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
      );
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
        FunctionName: { Ref: worker },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: concurrency },
      });
    },
  );

  test.each(PRIORITIES)(
    'the %s worker may post to connections of this WebSocket stage only (user.notify, at any priority) and knows its callback URL',
    (name) => {
      // biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation, read as JSON
      const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
      const worker = logicalId(
        template,
        'AWS::Lambda::Function',
        new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
      );
      const role = resources[worker]?.Properties.Role['Fn::GetAtt'][0];
      const statements = Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy')
        .filter((policy) => policy.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === role))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement) as {
        Action: string | string[];
        Resource: unknown;
      }[];
      const socketActions = statements.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('execute-api:')),
      );
      expect(socketActions).toHaveLength(1);
      expect([socketActions[0]?.Action].flat()).toEqual(['execute-api:ManageConnections']);
      const resource = JSON.stringify(socketActions[0]?.Resource);
      expect(resource).toContain('ProgressApi');
      expect(resource).toContain('/live/*/@connections/*');
      const env = resources[worker]?.Properties.Environment.Variables;
      expect(JSON.stringify(env.WEBSOCKET_CALLBACK_URL)).toContain('ProgressApi');
    },
  );

  test('workers are bounded by the event source, never by reserved concurrency', () => {
    for (const name of PRIORITIES) {
      const worker = logicalId(
        template,
        'AWS::Lambda::Function',
        new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
      );
      expect(template.toJSON().Resources[worker].Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('each worker knows its priority, the table, the bucket and all queue URLs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Runs low-priority jobs',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          WORKER_PRIORITY: 'low',
          TABLE_NAME: Match.anyValue(),
          BUCKET_NAME: Match.anyValue(),
          QUEUE_URLS: Match.anyValue(),
          POWERTOOLS_SERVICE_NAME: 'jobqueue',
        }),
      },
    });
  });

  test('every worker outlives the longest job type (resume.analyze, 300 s) by a 30 s margin', () => {
    for (const name of ['Critical', 'High', 'Normal', 'Low']) {
      const worker = logicalId(
        template,
        'AWS::Lambda::Function',
        new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
      );
      expect({ name, timeout: template.toJSON().Resources[worker].Properties.Timeout }).toEqual({
        name,
        timeout: 330,
      });
    }
  });

  test('a low-priority flood cannot take critical capacity: concurrency is configurable per priority', () => {
    const custom = synth({ concurrency: { critical: 100, low: 2 } }).template;
    const critical = logicalId(custom, 'AWS::SQS::Queue', /^QueuesCriticalQueue/);
    const low = logicalId(custom, 'AWS::SQS::Queue', /^QueuesLowQueue/);
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [critical, 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 100 },
    });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [low, 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  test('maxConcurrency below 2 (the SQS event source minimum) fails synth', () => {
    expect(() => synth({ concurrency: { high: 1 } })).toThrow(
      /concurrency\.high must be an integer from 2 to 1000, got 1/,
    );
  });

  test('workers may write only their own log group and read/write the table items', () => {
    const role = logicalId(template, 'AWS::IAM::Role', /^WorkersCriticalWorkerRole[0-9A-F]{8}$/);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: role }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:Query', 'sqs:SendMessage']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteTable');
    expect(actions.filter((action: string) => action.endsWith('*'))).toEqual([]);
  });

  test('each worker may change the visibility of its own queue’s messages only (stalled-job detection)', () => {
    const queueArns = Object.fromEntries(
      PRIORITIES.map((name) => [
        name,
        logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}Queue[0-9A-F]{8}$`)),
      ]),
    );
    for (const name of PRIORITIES) {
      const role = logicalId(template, 'AWS::IAM::Role', new RegExp(`^Workers${name}WorkerRole[0-9A-F]{8}$`));
      const statements = Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const visibility = statements.filter((statement) =>
        [statement.Action].flat().includes('sqs:ChangeMessageVisibility'),
      );
      expect(visibility.map((statement) => statement.Resource)).toEqual([
        { 'Fn::GetAtt': [queueArns[name], 'Arn'] },
      ]);
    }
  });

  test('each worker gets the lease its stalled-job detection is timed by: 30 s unless configured', () => {
    const leases = (synthesized: ReturnType<typeof synth>['template']) =>
      PRIORITIES.map((name) => {
        const worker = logicalId(
          synthesized,
          'AWS::Lambda::Function',
          new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
        );
        return synthesized.toJSON().Resources[worker].Properties.Environment.Variables.WORKER_LEASE_SECONDS;
      });
    expect(leases(template)).toEqual(['30', '30', '30', '30']);
    expect(leases(synth({ workerLeaseSeconds: 10 }).template)).toEqual(['10', '10', '10', '10']);
    expect(() => synth({ workerLeaseSeconds: 2 })).toThrow(
      /leaseSeconds must be an integer from 3 to 300, got 2/,
    );
  });

  test('the queues keep their long visibility timeout (≥ 6 × the worker timeout): the worker shortens it per message', () => {
    for (const name of PRIORITIES) {
      const queue = logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}Queue[0-9A-F]{8}$`));
      expect(template.toJSON().Resources[queue].Properties.VisibilityTimeout).toBe(6 * 330);
    }
  });

  test('every worker ships the parse thread its uploads are read in', () => {
    for (const name of PRIORITIES) {
      const worker = logicalId(
        template,
        'AWS::Lambda::Function',
        new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`),
      );
      expect(template.toJSON().Resources[worker].Metadata['jobqueue:threads']).toEqual({
        'parse-thread.mjs': 'lambdas/jobs/resume/parse-thread-main.ts',
      });
    }
  });
});

describe('job types that call other services', () => {
  const { template: typed } = synth({ emailFrom: 'jobs@mail.example.org' });

  test('workers may send email as the configured SES identity only', () => {
    const statements = Object.values(typed.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const send = statements.filter((statement) => [statement.Action].flat().includes('ses:SendEmail'));
    expect(send).toHaveLength(4);
    const resources = JSON.stringify(send[0].Resource);
    expect(resources).toContain(':identity/jobs@mail.example.org');
    expect(resources).toContain(':identity/mail.example.org');
    expect(resources).not.toContain('*');
  });

  test('the sender and per-type rates reach every worker', () => {
    const { template: rated } = synth({ jobRateLimits: { 'email.send': 1 } });
    const workers = Object.entries(rated.findResources('AWS::Lambda::Function')).filter(([id]) =>
      /^Workers\w+Worker[0-9A-F]{8}$/.test(id),
    );
    expect(workers).toHaveLength(4);
    for (const [, worker] of workers) {
      expect(worker.Properties.Environment.Variables).toMatchObject({
        EMAIL_FROM: 'no-reply@example.com',
        JOB_RATE_LIMITS: '{"email.send":1}',
      });
    }
  });

  test('users may email no domain unless the stack names some; the API and every worker enforce the same list', () => {
    const workerEnvironments = (template: typeof rated) =>
      Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([id]) => /^(Workers\w+Worker|ApiHandler)[0-9A-F]{8}$/.test(id))
        .map(([, fn]) => fn.Properties.Environment.Variables);
    const { template: rated } = synth();
    expect(workerEnvironments(rated)).toHaveLength(5);
    for (const env of workerEnvironments(rated)) expect(env.EMAIL_RECIPIENT_DOMAINS).toBe('[]');
    const { template: allowed } = synth({ emailRecipientDomains: ['Example.com', 'mail.example.org'] });
    for (const env of workerEnvironments(allowed))
      expect(env.EMAIL_RECIPIENT_DOMAINS).toBe('["example.com","mail.example.org"]');
  });

  test('daily quotas default to 100 email recipients and 200 uploads per user', () => {
    const api = (template: ReturnType<typeof synth>['template']) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
        /^ApiHandler[0-9A-F]{8}$/.test(id),
      )?.[1].Properties.Environment.Variables;
    expect(api(synth().template)).toMatchObject({ EMAIL_DAILY_QUOTA: '100', UPLOADS_PER_DAY: '200' });
    expect(api(synth({ emailDailyQuota: 5, uploadsPerDay: 7 }).template)).toMatchObject({
      EMAIL_DAILY_QUOTA: '5',
      UPLOADS_PER_DAY: '7',
    });
  });

  test.each([
    [{ emailRecipientDomains: ['user@example.com'] }, /emailRecipientDomains must list domain names/],
    [{ emailRecipientDomains: ['*'] }, /emailRecipientDomains must list domain names/],
    [{ emailDailyQuota: 0 }, /emailDailyQuota must be an integer from 1/],
    [{ uploadsPerDay: 1.5 }, /uploadsPerDay must be an integer from 1/],
    [{ emailFrom: 'not an address' }, /emailFrom must be an email address/],
    [{ jobRateLimits: { 'no.such': 3 } }, /unknown job type "no.such"/],
    [
      { jobRateLimits: { 'email.send': 0 } },
      /jobRateLimits.email.send must be an integer from 1 to 10000, got 0/,
    ],
  ])('%p fails synth', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
