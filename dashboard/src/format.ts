import { JobQueueApiError, JobQueueError, JobQueueNetworkError } from 'jobqueue/client';

/** Every failure in words a person can act on: the contract's message, then its code. */
export const describeError = (error: unknown): string => {
  if (error instanceof JobQueueApiError) {
    if (error.status === 401)
      return 'Your sign-in has expired or is not valid: sign in again. (UNAUTHORIZED)';
    const wait = error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : '';
    return `${error.message}${wait} (${error.code})`;
  }
  if (error instanceof JobQueueNetworkError) return `Could not reach the API: ${error.message}`;
  if (error instanceof JobQueueError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
};

export const formatTime = (iso: string | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';

export const formatDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
};

export const utcDay = (time: number): string => new Date(time).toISOString().slice(0, 10);
