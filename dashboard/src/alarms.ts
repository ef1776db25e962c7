import type { AlarmEntry, JobQueueClient } from 'jobqueue/client';
import { useCallback, useEffect, useState } from 'preact/hooks';

/** CloudWatch evaluates most of the stack's alarms every minute: half of that is live enough. */
export const ALARM_POLL_MS = 30_000;

export interface AlarmsState {
  readonly alarms: AlarmEntry[] | undefined;
  readonly error: unknown;
  /** When the last answer arrived (ms since the epoch). */
  readonly loadedAt: number | undefined;
  readonly refresh: () => Promise<void>;
}

/**
 * The stack's alarms for an admin, read every 30 s and whenever the page comes back into
 * view; nothing is read for anyone else (the route answers them 403).
 */
export const useAlarms = (client: JobQueueClient, enabled: boolean): AlarmsState => {
  const [alarms, setAlarms] = useState<AlarmEntry[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [loadedAt, setLoadedAt] = useState<number | undefined>();

  const refresh = useCallback(async () => {
    try {
      setAlarms(await client.alarms());
      setError(undefined);
      setLoadedAt(Date.now());
    } catch (failure) {
      setError(failure);
    }
  }, [client]);

  useEffect(() => {
    if (!enabled) return;
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, ALARM_POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('focus', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
    };
  }, [enabled, refresh]);

  return { alarms, error, loadedAt, refresh };
};
