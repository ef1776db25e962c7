import type { Job, JobFrame, WatchAllFrame } from 'jobqueue/client';
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from './context';

/**
 * Follows `target` (a job id or 'all') over the WebSocket while the component lives. The
 * client reconnects with backoff and catches up (a job's watch starts again from a fresh
 * snapshot); a watch of one job ends at its terminal frame, so `restartKey` starts a new
 * one (e.g. after a retry).
 */
export const useWatch = (
  target: string | undefined,
  onFrame: (frame: WatchAllFrame) => void,
  options: { restartKey?: unknown; onError?: (error: unknown) => void } = {},
): void => {
  const { client } = useApp();
  const handlers = useRef({ onFrame, onError: options.onError });
  handlers.current = { onFrame, onError: options.onError };
  useEffect(() => {
    if (!target) return;
    const controller = new AbortController();
    void (async () => {
      try {
        const frames =
          target === 'all'
            ? client.watch('all', { signal: controller.signal })
            : client.watch(target, { signal: controller.signal });
        for await (const frame of frames) {
          if (controller.signal.aborted) break;
          handlers.current.onFrame(frame);
        }
      } catch (error) {
        // The views keep their periodic reads when the socket gives up.
        if (!controller.signal.aborted) handlers.current.onError?.(error);
      }
    })();
    return () => controller.abort();
  }, [client, target, options.restartKey]);
};

/**
 * A job with a frame applied. Pushes of one change share its version, so only an older
 * one is dropped (the client already drops what its snapshot covers).
 */
export const applyFrame = (job: Job, frame: WatchAllFrame): Job => {
  if (frame.type === 'user.notification') return job;
  // A snapshot taken before an action's answer (e.g. a cancel) must not undo it.
  if (frame.type === 'job.snapshot') {
    return frame.job.jobId === job.jobId && frame.job.version >= job.version ? frame.job : job;
  }
  const push = frame as Extract<JobFrame, { jobId: string }>;
  if (push.jobId !== job.jobId || push.version < job.version) return job;
  return {
    ...job,
    status: push.status,
    version: push.version,
    ...(push.progress ? { progress: push.progress } : {}),
    ...(push.items ? { items: push.items } : {}),
    ...(push.result !== undefined ? { result: push.result } : {}),
    ...(push.error ? { error: push.error } : {}),
    ...(push.estimatedCompletionAt ? { estimatedCompletionAt: push.estimatedCompletionAt } : {}),
    // A job.status push names the attempt it starts (or ends): the row's "attempts" follows.
    ...(typeof push.attempt === 'number' ? { attempts: push.attempt } : {}),
  } as Job;
};

/** The job id a frame is about, if any. */
export const jobIdOfFrame = (frame: WatchAllFrame): string | undefined =>
  frame.type === 'job.snapshot'
    ? frame.job.jobId
    : frame.type === 'user.notification'
      ? undefined
      : frame.jobId;
