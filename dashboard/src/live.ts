import { useEffect, useRef } from 'preact/hooks';
import { useApp } from './context';
import type { Job, WatchEvent } from './temporary-client';

/**
 * Follows `target` (a job id or 'all') over the WebSocket for as long as the component
 * lives; the client reconnects and catches up (a per-job subscription answers with a snapshot).
 */
export const useWatch = (target: string | undefined, onEvent: (event: WatchEvent) => void): void => {
  const { client } = useApp();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!target) return;
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const event of client.watch(target, { signal: controller.signal })) {
          if (controller.signal.aborted) break;
          handler.current(event);
        }
      } catch {
        // The page keeps its periodic refresh when the socket gives up.
      }
    })();
    return () => controller.abort();
  }, [client, target]);
};

/** A job with a push applied; a push whose version the job already has changes nothing. */
export const applyEvent = (job: Job, event: WatchEvent): Job => {
  if (event.type === 'job.snapshot' && event.job) return event.job;
  if (event.jobId !== job.jobId) return job;
  if (event.version !== undefined && job.version !== undefined && event.version <= job.version) return job;
  return {
    ...job,
    ...(event.status ? { status: event.status } : {}),
    ...(event.progress ? { progress: event.progress } : {}),
    ...(event.items ? { items: event.items } : {}),
    ...(event.result !== undefined ? { result: event.result } : {}),
    ...(event.error ? { error: event.error } : {}),
    ...(event.version !== undefined ? { version: event.version } : {}),
  };
};
