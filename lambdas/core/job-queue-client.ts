import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobRecord } from './job';
import { delayFor, type JobMessage } from './job-message';
import type { Priority } from './priority';

export interface OutgoingMessage {
  readonly priority: Priority;
  readonly message: JobMessage;
  /** Hold the message this long instead of until its `runAt`. */
  readonly delaySeconds?: number;
}

/**
 * The message that moves a waiting job (queued, delayed, retrying) on: its next attempt,
 * with `runAt` when it must not start before then. The dispatcher sends it when the job
 * starts waiting; the sweep re-sends it when that message is gone.
 */
export const messageForWaitingJob = (job: JobRecord): OutgoingMessage => {
  const carriesRunAt = job.status === 'delayed' || job.status === 'retrying';
  return {
    priority: job.priority,
    message: {
      jobId: job.jobId,
      attempt: job.attempts + 1,
      ...(carriesRunAt && job.runAt ? { runAt: job.runAt } : {}),
      type: job.type,
    },
  };
};

/** SendMessageBatch takes at most ten entries. */
const SQS_BATCH_LIMIT = 10;

/**
 * Sends job messages to the per-priority queues, ten per request. Returns the messages
 * SQS did not accept, so the caller can report exactly those as failed.
 */
export class JobQueueClient {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Readonly<Record<Priority, string>>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async send(messages: readonly OutgoingMessage[]): Promise<OutgoingMessage[]> {
    const failed: OutgoingMessage[] = [];
    const byPriority = new Map<Priority, OutgoingMessage[]>();
    for (const outgoing of messages) {
      byPriority.set(outgoing.priority, [...(byPriority.get(outgoing.priority) ?? []), outgoing]);
    }
    const now = this.clock();
    const requests: Promise<void>[] = [];
    for (const [priority, group] of byPriority) {
      for (let start = 0; start < group.length; start += SQS_BATCH_LIMIT) {
        const chunk = group.slice(start, start + SQS_BATCH_LIMIT);
        requests.push(this.sendChunk(priority, chunk, now, failed));
      }
    }
    await Promise.all(requests);
    return failed;
  }

  private async sendChunk(
    priority: Priority,
    chunk: readonly OutgoingMessage[],
    now: Date,
    failed: OutgoingMessage[],
  ): Promise<void> {
    try {
      const response = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrls[priority],
          Entries: chunk.map((outgoing, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(outgoing.message),
            DelaySeconds: outgoing.delaySeconds ?? delayFor(outgoing.message.runAt, now),
          })),
        }),
      );
      for (const entry of response.Failed ?? []) {
        const outgoing = chunk[Number(entry.Id)];
        if (outgoing) failed.push(outgoing);
      }
    } catch {
      failed.push(...chunk);
    }
  }
}
