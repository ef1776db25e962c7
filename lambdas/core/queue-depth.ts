import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueDepth {
  /** Visible messages, waiting for a worker. */
  readonly waiting: number;
  /** Received and not yet deleted: being worked on. */
  readonly inFlight: number;
  /** Held back by a delay. */
  readonly delayed: number;
}

/** A queue's live depth from its approximate SQS attributes (one request). */
export const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<QueueDepth> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
};
