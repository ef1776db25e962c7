import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The part of an SQS record its visibility is changed with. */
export interface HeldMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
}

export interface VisibilityTiming {
  /** Visibility every held message gets at the start and on every tick. */
  readonly visibilitySeconds: number;
  /** How often the held messages are extended. */
  readonly extendEveryMs: number;
}

/** Most entries one ChangeMessageVisibilityBatch takes. */
const MAX_BATCH_ENTRIES = 10;

/**
 * The stalled-job detector of one worker invocation. The queue's visibility timeout stays
 * long (≥ 6 × the function timeout, AWS's guidance for Lambda consumers), so at the start the
 * messages of the batch are shortened to `visibilitySeconds` (one request for the whole
 * batch), and extended on every tick while the invocation runs (one request again, finished
 * messages included: they are deleted only when the invocation returns). When the worker
 * dies, its messages resurface within `visibilitySeconds` and their redelivery records the
 * lost attempt (see recordLostAttempt in lifecycle.ts).
 *
 * Requests go out one after another, so a `release` (a message put back earlier or later)
 * is never overtaken by an extension. A failed request costs only speed of recovery: a
 * message left with the queue's long timeout still comes back, later.
 */
export class BatchVisibility {
  private readonly held: Map<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private requests: Promise<void> = Promise.resolve();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    messages: readonly HeldMessage[],
    private readonly timing: VisibilityTiming,
    private readonly onFailure: (problem: string, detail: Record<string, unknown>) => void,
  ) {
    this.held = new Map(messages.map((message) => [message.messageId, message.receiptHandle]));
  }

  /** Shortens the visibility of every message now, then extends the held ones on each tick. */
  start(): void {
    this.enqueue(() => this.extend());
    this.timer = setInterval(() => this.enqueue(() => this.extend()), this.timing.extendEveryMs);
    this.timer.unref?.();
  }

  /** Stops extending `messageId` and makes it visible again after `seconds`. */
  release(messageId: string, seconds: number): Promise<void> {
    const receiptHandle = this.held.get(messageId);
    this.held.delete(messageId);
    if (receiptHandle === undefined) return this.requests;
    return this.enqueue(async () => {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    });
  }

  /** Stops extending; waits for the request in flight (the invocation is about to return). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.requests;
  }

  private enqueue(request: () => Promise<void>): Promise<void> {
    this.requests = this.requests.then(request).catch((error: unknown) => {
      this.onFailure('Could not change the visibility of job messages', { error });
    });
    return this.requests;
  }

  private async extend(): Promise<void> {
    const held = [...this.held];
    for (let start = 0; start < held.length; start += MAX_BATCH_ENTRIES) {
      const chunk = held.slice(start, start + MAX_BATCH_ENTRIES);
      const { Failed = [] } = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(([, receiptHandle], index) => ({
            Id: String(index),
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: this.timing.visibilitySeconds,
          })),
        }),
      );
      for (const failure of Failed) {
        const messageId = chunk[Number(failure.Id)]?.[0];
        // A receipt handle SQS refuses (the message was received again elsewhere) never
        // works again: stop asking. Anything else is tried again on the next tick.
        if (failure.SenderFault && messageId !== undefined) this.held.delete(messageId);
      }
      if (Failed.length > 0) {
        this.onFailure('Some job messages kept their visibility', {
          failed: Failed.map((failure) => ({ code: failure.Code, senderFault: failure.SenderFault })),
        });
      }
    }
  }
}
