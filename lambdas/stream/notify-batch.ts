import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ConnectionStore } from '../core/connection-store';
import { encodeFrame } from '../core/socket-frame';
import { type JobChange, jobChangeOf } from '../core/stream-image';
import type { JobLogger } from '../jobs/job-type';
import { type Push, pushesFor } from './plan-pushes';

export interface NotifyDependencies {
  readonly connections: ConnectionStore;
  readonly management: ApiGatewayManagementApiClient;
  readonly logger: JobLogger;
}

export interface NotifySummary {
  sent: number;
  gone: number;
  failed: number;
}

/**
 * Pushes a batch of job changes to the WebSocket connections subscribed to each job or
 * its owner. Changes of one job are handled in stream order; jobs are independent. A
 * connection that is gone (410) is forgotten; any other delivery failure is logged and
 * skipped, so one dead client never holds back the others or the stream.
 */
export const notifyBatch = async (
  records: readonly DynamoDBRecord[],
  deps: NotifyDependencies,
): Promise<NotifySummary> => {
  const summary: NotifySummary = { sent: 0, gone: 0, failed: 0 };
  const byJob = new Map<string, JobChange[]>();
  for (const record of records) {
    const change = jobChangeOf(record);
    const jobId = change.newJob?.jobId ?? change.oldJob?.jobId;
    if (jobId) byJob.set(jobId, [...(byJob.get(jobId) ?? []), change]);
  }
  await Promise.all(
    [...byJob.values()].map(async (jobChanges) => {
      const gone = new Set<string>();
      for (const change of jobChanges) {
        const pushes = pushesFor(change);
        const job = change.newJob;
        if (!job || pushes.length === 0) continue;
        const recipients = (await deps.connections.subscribersOf(job.jobId, job.userId)).filter(
          (id) => !gone.has(id),
        );
        await Promise.all(
          recipients.map((connectionId) => deliver(connectionId, pushes, deps, summary, gone)),
        );
      }
    }),
  );
  return summary;
};

const deliver = async (
  connectionId: string,
  pushes: readonly Push[],
  deps: NotifyDependencies,
  summary: NotifySummary,
  gone: Set<string>,
): Promise<void> => {
  for (const push of pushes) {
    try {
      await deps.management.send(
        // A push over API Gateway's frame limit goes without its large fields (truncated).
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: encodeFrame(push) }),
      );
      summary.sent += 1;
    } catch (error) {
      if (
        error instanceof GoneException ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
      ) {
        gone.add(connectionId);
        summary.gone += 1;
        await deps.connections.remove(connectionId);
        return;
      }
      summary.failed += 1;
      deps.logger.warn('Could not push to a connection', {
        connectionId,
        jobId: push.jobId,
        type: push.type,
      });
      return;
    }
  }
};
