import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { queueDepth } from '../../../lambdas/core/queue-depth';

const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: 'eu-west-1' });
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-high';

beforeEach(() => sqs.reset());

test('asks for the three approximate counts of the queue in one request', async () => {
  sqs.on(GetQueueAttributesCommand).resolves({});
  await queueDepth(client, QUEUE_URL);
  expect(sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
  expect(sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input).toEqual({
    QueueUrl: QUEUE_URL,
    AttributeNames: [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ],
  });
});

test('maps the counts (strings, as SQS sends them) to waiting, in flight and delayed', async () => {
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: '12',
      ApproximateNumberOfMessagesNotVisible: '3',
      ApproximateNumberOfMessagesDelayed: '7',
    },
  });
  await expect(queueDepth(client, QUEUE_URL)).resolves.toEqual({ waiting: 12, inFlight: 3, delayed: 7 });
});

test('a count SQS leaves out is zero', async () => {
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessagesNotVisible: '2' } });
  await expect(queueDepth(client, QUEUE_URL)).resolves.toEqual({ waiting: 0, inFlight: 2, delayed: 0 });
});

test('no attributes at all is an empty queue', async () => {
  sqs.on(GetQueueAttributesCommand).resolves({});
  await expect(queueDepth(client, QUEUE_URL)).resolves.toEqual({ waiting: 0, inFlight: 0, delayed: 0 });
});
