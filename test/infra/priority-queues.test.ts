import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PriorityQueues } from '../../lib/constructs/priority-queues';
import { logicalId, synth } from './synth';

describe('priority queues', () => {
  const { template } = synth();

  test('there are four work queues and four dead-letter queues', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const work = Object.keys(queues).filter((id) =>
      /Queues(Critical|High|Normal|Low)Queue[0-9A-F]{8}$/.test(id),
    );
    const dead = Object.keys(queues).filter((id) =>
      /Queues(Critical|High|Normal|Low)DeadLetterQueue[0-9A-F]{8}$/.test(id),
    );
    expect(work).toHaveLength(4);
    expect(dead).toHaveLength(4);
  });

  test.each(['Critical', 'High', 'Normal', 'Low'])(
    'the %s queue redrives to its own DLQ after 5 receives',
    (name) => {
      const dlq = logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}DeadLetterQueue`));
      const queue = logicalId(template, 'AWS::SQS::Queue', new RegExp(`^Queues${name}Queue`));
      expect(template.toJSON().Resources[queue].Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] },
        maxReceiveCount: 5,
      });
    },
  );

  test('every queue is encrypted and dead letters are kept 14 days', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    for (const [id, queue] of Object.entries(queues)) {
      expect({ id, sse: queue.Properties.SqsManagedSseEnabled }).toEqual({ id, sse: true });
    }
    const deadLetterQueues = Object.entries(queues).filter(([id]) => /^Queues\w+DeadLetterQueue/.test(id));
    expect(deadLetterQueues).toHaveLength(4);
    for (const [id, queue] of deadLetterQueues) {
      expect({ id, retention: queue.Properties.MessageRetentionPeriod }).toEqual({
        id,
        retention: 1_209_600,
      });
      expect(queue.Properties.RedrivePolicy).toBeUndefined();
    }
  });

  test('every queue refuses requests without TLS', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(9);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  test('the visibility timeout is at least six times the worker timeout', () => {
    const workers = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Runs .*-priority jobs$') },
    });
    const workerTimeout = Math.max(...Object.values(workers).map((fn) => fn.Properties.Timeout as number));
    const queue = logicalId(template, 'AWS::SQS::Queue', /^QueuesCriticalQueue/);
    expect(template.toJSON().Resources[queue].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * workerTimeout,
    );
  });

  test('a visibility timeout shorter than six consumer timeouts fails synth, naming the values', () => {
    const stack = new Stack(new App(), 'Test');
    expect(
      () =>
        new PriorityQueues(stack, 'Queues', {
          consumerTimeout: Duration.seconds(100),
          visibilityTimeout: Duration.seconds(599),
        }),
    ).toThrow(/visibilityTimeout must be at least 6 × the consumer timeout \(600 s\), got 599 s/);
  });

  test('maxReceiveCount must be a positive integer', () => {
    const stack = new Stack(new App(), 'Test');
    expect(
      () =>
        new PriorityQueues(stack, 'Queues', { consumerTimeout: Duration.seconds(10), maxReceiveCount: 0 }),
    ).toThrow(/maxReceiveCount must be an integer from 1 to 1000, got 0/);
  });

  test('a custom maxReceiveCount reaches every redrive policy', () => {
    const stack = new Stack(new App(), 'Test');
    new PriorityQueues(stack, 'Queues', { consumerTimeout: Duration.seconds(10), maxReceiveCount: 3 });
    const redrives = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'))
      .map((queue) => queue.Properties.RedrivePolicy?.maxReceiveCount)
      .filter((count) => count !== undefined);
    expect(redrives).toEqual([3, 3, 3, 3]);
  });
});
