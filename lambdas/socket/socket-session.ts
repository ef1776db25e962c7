import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import * as z from 'zod';
import type { ConnectionStore } from '../core/connection-store';
import { type JobRecord, toJobView } from '../core/job';
import type { JobStore } from '../core/job-store';
import { encodeFrame, type ServerFrame } from '../core/socket-frame';
import { canSee } from '../core/user';

export interface SocketDependencies {
  readonly connections: ConnectionStore;
  readonly jobs: JobStore;
  readonly management: ApiGatewayManagementApiClient;
}

/** Job ids are ULIDs; a malformed one names no job, so it answers NOT_FOUND like HTTP's 404. */
const JOB_ID_SHAPE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const JOB_ID = z.string().min(1).max(128);
const frameSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), jobId: JOB_ID.optional() }).strict(),
  z.object({ action: z.literal('unsubscribe'), jobId: JOB_ID.optional() }).strict(),
  z.object({ action: z.literal('ping') }).strict(),
]);

/** A frame over API Gateway's limit (a snapshot with a large job) goes without its large fields. */
const send = (deps: SocketDependencies, connectionId: string, frame: ServerFrame) =>
  deps.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encodeFrame(frame) }));

const errorFrame = (code: 'VALIDATION_ERROR' | 'NOT_FOUND', message: string): ServerFrame => ({
  type: 'error',
  code,
  message,
});

/** Snapshots sent before a subscription is made live regardless (a job changing faster than a round trip). */
export const MAX_SNAPSHOTS = 4;

const snapshotFrame = (job: JobRecord): ServerFrame => {
  // A payload or result kept in S3 (claim check) is not read here: the client reads the job.
  const offloaded = job.payloadRef !== undefined || job.resultRef !== undefined;
  return { type: 'job.snapshot', job: toJobView(job), ...(offloaded ? { truncated: true } : {}) };
};

/**
 * Subscribes the connection to a job it may see, snapshot first: the first frame it gets
 * for the job is always its `job.snapshot`, and no push after it shows an older state.
 *
 * 1. The subscription is written `pending`: the notifier pushes nothing to it.
 * 2. The job is flagged `watched` (once; the write returns the job as it stands) or, if
 *    it already was, read. Either is the snapshot, taken after step 1 and after the flag,
 *    so every later change reaches the notifier and finds the subscription.
 * 3. The snapshot is sent, then the subscription activated with the snapshot's version
 *    and `updatedAt`: the notifier pushes only changes newer than that, always after the
 *    snapshot (it reads the subscription only after activation, which follows the send).
 * 4. A change the notifier met while the subscription was pending is skipped and marked
 *    (`missed`); activation then fails, and the connection gets a newer snapshot (read
 *    after clearing the mark) before trying again. So nothing is lost in between and
 *    frames never go backwards: until activation only this function sends, after it only
 *    the notifier. After MAX_SNAPSHOTS tries it activates anyway (a job changing faster
 *    than a round trip; the client still holds a snapshot at most a moment old).
 */
const subscribeToJob = async (
  connectionId: string,
  visible: JobRecord,
  deps: SocketDependencies,
): Promise<unknown> => {
  const { jobId } = visible;
  await deps.connections.subscribe(connectionId, { jobId });
  let snapshot = visible.watched ? await deps.jobs.get(jobId) : await deps.connections.watchJob(jobId);
  for (let sent = 1; snapshot; sent += 1) {
    await send(deps, connectionId, snapshotFrame(snapshot));
    const last = sent >= MAX_SNAPSHOTS;
    const since = { version: snapshot.version, updatedAt: snapshot.updatedAt };
    const activation = await deps.connections.activate(connectionId, jobId, since, { force: last });
    if (activation !== 'missed' || last) return;
    if (!(await deps.connections.rearm(connectionId, jobId))) return;
    snapshot = await deps.jobs.get(jobId);
  }
  // The job expired (TTL) in between: it answers as any job that does not exist.
  await deps.connections.unsubscribe(connectionId, { jobId });
  return send(deps, connectionId, errorFrame('NOT_FOUND', 'No such job.'));
};

/**
 * One client frame on an open connection. Subscribing to a job answers with its snapshot
 * at once (a reconnecting client catches up), see subscribeToJob. Someone else's job
 * answers exactly like a job that does not exist, checked before anything is written.
 */
export const handleFrame = async (
  connectionId: string,
  body: string | undefined,
  deps: SocketDependencies,
) => {
  let frame: unknown;
  try {
    frame = JSON.parse(body ?? '');
  } catch {
    return send(
      deps,
      connectionId,
      errorFrame('VALIDATION_ERROR', 'Frames must be JSON objects with an action.'),
    );
  }
  const parsed = frameSchema.safeParse(frame);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'frame'}: ${issue.message}`)
      .join('; ');
    return send(
      deps,
      connectionId,
      errorFrame(
        'VALIDATION_ERROR',
        `Unknown or malformed frame (${detail}). Actions: subscribe, unsubscribe, ping.`,
      ),
    );
  }
  const request = parsed.data;
  if (request.action === 'ping') return send(deps, connectionId, { type: 'pong' });

  const connection = await deps.connections.get(connectionId);
  if (!connection)
    return send(deps, connectionId, errorFrame('NOT_FOUND', 'This connection is no longer registered.'));
  const user = { id: connection.userId, isAdmin: connection.isAdmin };

  if (request.action === 'unsubscribe') {
    if (request.jobId) await deps.connections.unsubscribe(connectionId, { jobId: request.jobId });
    else await deps.connections.unsubscribeAll(connectionId);
    return send(deps, connectionId, {
      type: 'unsubscribed',
      ...(request.jobId ? { jobId: request.jobId } : {}),
    });
  }

  if (!request.jobId) {
    // Jobs the user submits while this lives are born watched: the submit path asks
    // ConnectionStore.watchesAllJobs (one 0.5 RRU query per request). Jobs already in
    // flight are not flagged here: finding them needs a query of the user index, which
    // this internet-facing function is not granted; a client that cares about one
    // subscribes to it (and gets its snapshot).
    await deps.connections.subscribe(connectionId, { userId: user.id });
    return send(deps, connectionId, { type: 'subscribed', scope: 'user' });
  }
  const visible = JOB_ID_SHAPE.test(request.jobId) ? await deps.jobs.get(request.jobId) : undefined;
  if (!visible || !canSee(user, visible))
    return send(deps, connectionId, errorFrame('NOT_FOUND', 'No such job.'));
  return subscribeToJob(connectionId, visible, deps);
};
