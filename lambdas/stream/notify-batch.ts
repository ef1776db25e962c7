import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ConnectionStore, Subscriber } from '../core/connection-store';
import type { JobRecord } from '../core/job';
import { encodeFrame } from '../core/socket-frame';
import { type JobChange, jobChangeOf } from '../core/stream-image';
import type { JobLogger } from '../jobs/job-type';
import { isNewerThan, type Push, pushesFor } from './plan-pushes';

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
 * its owner. Only watched jobs reach this function (the event source filters on the
 * job's `watched` flag), so a job nobody subscribed to costs no query. Changes of one job
 * are handled in stream order; jobs are independent. A job subscription gets nothing
 * before its snapshot (pending: the skip is marked so the subscriber gets a newer
 * snapshot) and nothing its snapshot already showed. A connection that is gone (410) is
 * forgotten; any other delivery failure is logged and skipped, so one dead client never
 * holds back the others or the stream.
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
        const subscribers = (await deps.connections.subscribersOf(job.jobId, job.userId)).filter(
          (subscriber) => !gone.has(subscriber.connectionId),
        );
        await Promise.all(
          subscribers.map(async (subscriber) => {
            if (await isDue(subscriber, job, deps))
              await deliver(subscriber.connectionId, pushes, deps, summary, gone);
          }),
        );
      }
    }),
  );
  return summary;
};

/**
 * Whether this change goes to the subscriber. A pending job subscription's snapshot is
 * on its way: pushing now could overtake it, so the change is skipped and the skip marked
 * (its activation then fails and the subscriber is sent a newer snapshot that includes
 * the change). If it was activated meanwhile, the mark fails and the rule below applies.
 */
const isDue = async (subscriber: Subscriber, job: JobRecord, deps: NotifyDependencies): Promise<boolean> => {
  let current: Subscriber | undefined = subscriber;
  if (current.pending) current = await deps.connections.markMissed(job.jobId, current.connectionId);
  if (!current || current.pending) return false;
  return !current.since || isNewerThan(job, current.since);
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
