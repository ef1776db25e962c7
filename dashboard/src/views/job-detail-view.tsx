import type { ItemPage, Job, JobEvent } from 'jobqueue/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ErrorMessage } from '../components/error-message';
import { ProgressBar } from '../components/progress-bar';
import { StatusBadge } from '../components/status-badge';
import { useApp } from '../context';
import { formatDuration, formatTime } from '../format';
import { applyFrame, useWatch } from '../live';

const CANCELLABLE = ['queued', 'delayed', 'processing', 'retrying'];
const RETRYABLE = ['failed', 'cancelled'];

const Json = ({ label, value }: { label: string; value: unknown }) =>
  value === undefined ? null : (
    <section>
      <h2>{label}</h2>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls when long, and keyboard users scroll what has the focus (WCAG 2.1.1) */}
      <pre class="json" tabIndex={0}>
        {JSON.stringify(value, null, 2)}
      </pre>
    </section>
  );

/** One job: live progress, items, the timeline, its data, and what may be done with it. */
export const JobDetailView = ({ jobId }: { jobId: string }) => {
  const { client } = useApp();
  const [job, setJob] = useState<Job | undefined>();
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [items, setItems] = useState<ItemPage | undefined>();
  // A watch ends with the job; a retry starts a new one.
  const [watchGeneration, setWatchGeneration] = useState(0);
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const eventsTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const loadEvents = useCallback(async () => {
    try {
      setEvents(await client.events(jobId));
    } catch (failure) {
      setError(failure);
    }
  }, [client, jobId]);

  const loadItems = useCallback(
    async (cursor?: string) => {
      try {
        const page = await client.itemsPage(jobId, cursor);
        setItems((current) =>
          cursor && current
            ? { items: [...current.items, ...page.items], nextCursor: page.nextCursor }
            : page,
        );
      } catch (failure) {
        setError(failure);
      }
    },
    [client, jobId],
  );

  useEffect(() => {
    setJob(undefined);
    setItems(undefined);
    setError(undefined);
    void (async () => {
      try {
        const loaded = await client.get(jobId);
        setJob(loaded);
        if (loaded.items) void loadItems();
      } catch (failure) {
        setError(failure);
      }
    })();
    void loadEvents();
  }, [client, jobId, loadEvents, loadItems]);

  useWatch(
    jobId,
    (frame) => {
      if (frame.type === 'user.notification') return;
      // A job too large for a frame comes without payload or result: read it over HTTP.
      if (frame.type === 'job.snapshot' && frame.truncated) {
        void client.get(jobId).then(setJob, setError);
      } else {
        setJob((current) =>
          current ? applyFrame(current, frame) : frame.type === 'job.snapshot' ? frame.job : current,
        );
      }
      if (frame.type !== 'job.progress') {
        // A status change adds a timeline entry: read it once the burst is over.
        clearTimeout(eventsTimer.current);
        eventsTimer.current = setTimeout(() => void loadEvents(), 250);
      }
    },
    { restartKey: watchGeneration, onError: setError },
  );

  const act = async (action: 'cancel' | 'retry') => {
    setBusy(true);
    setActionError(undefined);
    setNotice('');
    try {
      const updated = await (action === 'cancel' ? client.cancel(jobId) : client.retry(jobId));
      // A push may have overtaken this answer: keep whichever is newer.
      setJob((current) => (current && (current.version ?? 0) > (updated.version ?? 0) ? current : updated));
      setNotice(
        action === 'cancel'
          ? updated.status === 'cancelled'
            ? 'Job cancelled.'
            : 'Cancel requested: the worker stops at its next check.'
          : 'Job queued again.',
      );
      void loadEvents();
      if (action === 'retry') setWatchGeneration((generation) => generation + 1);
    } catch (failure) {
      setActionError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← All jobs</a>
      </p>
      <h1 id="job-title">
        Job <span class="mono">{jobId}</span>
      </h1>
      <ErrorMessage error={error} />
      {job && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={job.status} />
              {job.cancelRequested && job.status === 'processing' ? ' (cancel requested)' : ''}
            </dd>
            <dt>Type</dt>
            <dd>{job.type}</dd>
            <dt>Priority</dt>
            <dd>
              {job.priority} ({job.priorityValue ?? '—'})
            </dd>
            <dt>Attempts</dt>
            <dd>
              {job.attempts ?? 0} of {job.maxAttempts ?? '?'}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(job.createdAt)}</dd>
            {job.runAt && (
              <>
                <dt>Runs at</dt>
                <dd>{formatTime(job.runAt)}</dd>
              </>
            )}
            <dt>Started</dt>
            <dd>{formatTime(job.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(job.completedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(job.durationMs)}</dd>
            {job.estimatedCompletionAt && (
              <>
                <dt>Estimated completion</dt>
                <dd>{formatTime(job.estimatedCompletionAt)}</dd>
              </>
            )}
          </dl>
          <div class="live-progress" aria-live="polite">
            <ProgressBar job={job} label="Job progress" />
            <p class="stage">
              {[job.progress?.stage, job.progress?.message].filter(Boolean).join(' — ') || '\u00a0'}
            </p>
          </div>
          <div class="actions">
            <button
              type="button"
              class="danger"
              disabled={busy || !CANCELLABLE.includes(job.status)}
              onClick={() => void act('cancel')}
            >
              Cancel job
            </button>
            <button
              type="button"
              disabled={busy || !RETRYABLE.includes(job.status)}
              onClick={() => void act('retry')}
            >
              Retry job
            </button>
          </div>
          <ErrorMessage error={actionError} />
          <p role="status" class="notice">
            {notice}
          </p>
          {job.items && (
            <section aria-labelledby="items-title">
              <h2 id="items-title">
                Items: {job.items.processed} of {job.items.total} processed, {job.items.failed} failed
              </h2>
              <table aria-labelledby="items-title">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Status</th>
                    <th scope="col">Result or error</th>
                  </tr>
                </thead>
                <tbody>
                  {items?.items.map((item) => (
                    <tr key={item.index} data-item-index={item.index}>
                      <td>{item.index}</td>
                      <td>
                        <StatusBadge status={item.status} />
                      </td>
                      <td class="mono small" data-field="outcome">
                        {item.error
                          ? `${item.error.code}: ${item.error.message}`
                          : JSON.stringify(item.result ?? '')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {items?.nextCursor && (
                <button type="button" onClick={() => void loadItems(items.nextCursor ?? undefined)}>
                  More items
                </button>
              )}
            </section>
          )}
          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <ol class="timeline">
              {events.map((event) => (
                <li key={`${event.at}-${event.to}-${event.attempt}`}>
                  <time dateTime={event.at}>{formatTime(event.at)}</time>{' '}
                  <span>
                    {event.from ?? 'new'} → <StatusBadge status={event.to} />
                  </span>{' '}
                  <span>attempt {event.attempt}</span>
                  {event.error && (
                    <span class="error-text">
                      {' '}
                      {event.error.code}: {event.error.message}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          </section>
          {job.error && (
            <section>
              <h2>Error</h2>
              <p class="error-text">
                <strong>{job.error.code}</strong>: {job.error.message}
                {job.error.retryable === false ? ' (not retryable)' : ''}
              </p>
            </section>
          )}
          <Json label="Payload" value={job.payload} />
          <Json label="Result" value={job.result} />
        </>
      )}
    </section>
  );
};
