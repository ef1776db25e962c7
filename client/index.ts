/**
 * `jobqueue/client`: a typed client of the jobqueue API for Node ≥ 20 and browsers.
 *
 * ```ts
 * import { JobQueueClient } from 'jobqueue/client';
 * const jobs = new JobQueueClient({ url, webSocketUrl, token, WebSocket }); // WebSocket from 'ws' in Node 20
 * const job = await jobs.submit('system.simulate', { durationMs: 500 });
 * for await (const frame of jobs.watch(job.jobId)) console.log(frame.type);
 * ```
 */
export {
  type ApiErrorBody,
  type ApiErrorCode,
  isJobQueueError,
  JobQueueApiError,
  JobQueueError,
  JobQueueNetworkError,
  JobQueueTimeoutError,
} from './errors';
export { isTerminalFrame } from './frame-order';
export {
  isFinished,
  JobQueueClient,
  type JobQueueClientOptions,
  type RequestOptions,
  type TokenSource,
  type WaitForOptions,
} from './job-queue-client';
export type * from './types';
export type { ReconnectOptions, WatchOptions, WebSocketConstructor, WebSocketLike } from './watch';
