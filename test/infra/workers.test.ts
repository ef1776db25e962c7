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
      TracingConfig: { Mode: 'Active' },
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

  test('the worker timeout outlives the longest job type (300 s or less today) with a margin', () => {
    const worker = logicalId(template, 'AWS::Lambda::Function', /^WorkersNormalWorker[0-9A-F]{8}$/);
    const timeout = template.toJSON().Resources[worker].Properties.Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(120 + 30);
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

  test('workers may read the webhook signing secret, which names itself by ARN in their environment', () => {
    const secret = logicalId(typed, 'AWS::SecretsManager::Secret', /^WebhooksSecret/);
    const statements = Object.values(typed.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const reads = statements.filter((statement) =>
      [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(reads).toHaveLength(4);
    for (const read of reads) expect(read.Resource).toEqual({ Ref: secret });
    const worker = logicalId(typed, 'AWS::Lambda::Function', /^WorkersLowWorker[0-9A-F]{8}$/);
    expect(typed.toJSON().Resources[worker].Properties.Environment.Variables.WEBHOOK_SECRET_ARN).toEqual({
      Ref: secret,
    });
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

  test.each([
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
