import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import * as z from 'zod';
import type { ConnectionStore } from '../core/connection-store';
import { toJobView } from '../core/job';
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

/**
 * One client frame on an open connection. Subscribing to a job answers with its snapshot
 * at once (a reconnecting client catches up); the subscription is written first so no
 * change between the snapshot and the first push is missed. Someone else's job answers
 * exactly like a job that does not exist.
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
    await deps.connections.subscribe(connectionId, { userId: user.id });
    return send(deps, connectionId, { type: 'subscribed', scope: 'user' });
  }
  const visible = JOB_ID_SHAPE.test(request.jobId) ? await deps.jobs.get(request.jobId) : undefined;
  if (!visible || !canSee(user, visible))
    return send(deps, connectionId, errorFrame('NOT_FOUND', 'No such job.'));
  await deps.connections.subscribe(connectionId, { jobId: request.jobId });
  const snapshot = (await deps.jobs.get(request.jobId)) ?? visible;
  // A payload or result kept in S3 (claim check) is not read here: the client reads the job.
  const offloaded = snapshot.payloadRef !== undefined || snapshot.resultRef !== undefined;
  return send(deps, connectionId, {
    type: 'job.snapshot',
    job: toJobView(snapshot),
    ...(offloaded ? { truncated: true } : {}),
  });
};
