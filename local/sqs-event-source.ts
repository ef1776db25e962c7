import type { AwsJsonClient } from './json-protocol';
import type { LocalFunction } from './lambda-host';

/** A received message as SQS's JSON protocol returns it. */
interface Message {
  readonly MessageId?: string;
  readonly ReceiptHandle?: string;
  readonly Body?: string;
  readonly MD5OfBody?: string;
  readonly Attributes?: Record<string, string>;
  readonly MessageAttributes?: Record<string, unknown>;
}

export interface SqsMappingSpec {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly reportBatchItemFailures: boolean;
}

/** What the Lambda API may change while the mapping runs (UpdateEventSourceMapping). */
export interface MappingControl {
  enabled: boolean;
  maxConcurrency?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An SQS event source mapping: polls the queue, invokes the function with batches of up
 * to `batchSize` (waiting up to the batching window to fill one), never more than
 * `maxConcurrency` invocations at once, and deletes what succeeded — everything on
 * success, all but `batchItemFailures` with ReportBatchItemFailures, nothing when the
 * invocation fails (those messages return after their visibility timeout, as in AWS).
 */
export class SqsEventSource {
  private running = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private slotFreed: (() => void) | undefined;

  constructor(
    readonly spec: SqsMappingSpec,
    private readonly control: MappingControl,
    private readonly target: LocalFunction,
    /** SQS (`AmazonSQS` JSON protocol), raw: the poller runs on the local cloud's main thread. */
    private readonly sqs: AwsJsonClient,
    private readonly region: string,
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    this.loop = this.poll();
  }

  /** Stops receiving, then waits for the batches in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.slotFreed?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      if (!this.control.enabled) {
        await sleep(250);
        continue;
      }
      if (this.running >= (this.control.maxConcurrency ?? this.spec.maxConcurrency)) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        continue;
      }
      let messages: Message[] = [];
      try {
        messages = await this.receive();
      } catch (error) {
        this.onError(`receive from ${this.spec.queueUrl} failed: ${(error as Error).message}`);
        await sleep(1000);
        continue;
      }
      if (messages.length === 0 || this.stopped) continue;
      this.running += 1;
      const batch = this.invoke(messages).finally(() => {
        this.running -= 1;
        this.inFlight.delete(batch);
        this.slotFreed?.();
      });
      this.inFlight.add(batch);
    }
  }

  private async receive(): Promise<Message[]> {
    const messages: Message[] = [];
    const windowEnds = Date.now() + this.spec.batchingWindowSeconds * 1000;
    do {
      const { Messages = [] } = await this.sqs.call<{ Messages?: Message[] }>('ReceiveMessage', {
        QueueUrl: this.spec.queueUrl,
        MaxNumberOfMessages: Math.min(10, this.spec.batchSize - messages.length),
        WaitTimeSeconds: messages.length === 0 ? 1 : 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      });
      messages.push(...Messages);
      if (Messages.length === 0 && messages.length > 0) break;
    } while (
      messages.length > 0 &&
      messages.length < this.spec.batchSize &&
      Date.now() < windowEnds &&
      !this.stopped
    );
    return messages;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const records = messages.map((message) => ({
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body ?? '',
      attributes: message.Attributes ?? {},
      messageAttributes: message.MessageAttributes ?? {},
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.spec.queueArn,
      awsRegion: this.region,
    }));
    let failedIds: Set<string>;
    try {
      const result: any = await this.target.invoke({ Records: records });
      failedIds = new Set(
        this.spec.reportBatchItemFailures
          ? (result?.batchItemFailures ?? []).map(
              (failure: { itemIdentifier: string }) => failure.itemIdentifier,
            )
          : [],
      );
    } catch {
      return; // The whole batch returns to the queue after its visibility timeout.
    }
    const done = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    if (done.length === 0) return;
    try {
      const { Failed = [] } = await this.sqs.call<{ Failed?: { Id: string; Message?: string }[] }>(
        'DeleteMessageBatch',
        {
          QueueUrl: this.spec.queueUrl,
          Entries: done.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        },
      );
      if (Failed.length > 0)
        this.onError(
          `delete from ${this.spec.queueUrl}: ${Failed.length} not deleted (${Failed[0]?.Message})`,
        );
    } catch (error) {
      this.onError(`delete from ${this.spec.queueUrl} failed: ${(error as Error).message}`);
    }
  }
}
