import { isFinished, type Job, type JobPage, type JobStatus, type WatchAllFrame } from 'jobqueue/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { JOB_STATUSES } from '../../../lambdas/core/job-status';
import { ChoiceSelect } from '../components/choice-select';
import { ErrorMessage } from '../components/error-message';
import { ProgressBar } from '../components/progress-bar';
import { StatusBadge } from '../components/status-badge';
import { useApp } from '../context';
import { formatTime } from '../format';
import { applyFrame, jobIdOfFrame, useWatch } from '../live';

export const JOB_TYPES = [
  'system.simulate',
  'resume.extract',
  'resume.analyze',
  'pdf.render',
  'email.send',
  'data.sync',
  'ai.complete',
  'ai.enhanceResume',
  'user.notify',
  'data.export',
  'system.cleanup',
  'analytics.rollup',
];
const PAGE_SIZE = 20;

interface Filters {
  status: string;
  type: string;
  allUsers: boolean;
  userId: string;
}

/**
 * A row that follows its job while it is unfinished: jobs submitted before the user-wide
 * subscription (or by another user, for admins) get no pushes from it.
 */
const JobRow = ({ job, onFrame }: { job: Job; onFrame: (frame: WatchAllFrame) => void }) => {
  useWatch(isFinished(job) ? undefined : job.jobId, onFrame);
  return (
    <tr data-job-id={job.jobId}>
      <td>
        <a href={`#/jobs/${job.jobId}`} class="mono">
          {job.jobId}
        </a>
      </td>
      <td>{job.type}</td>
      <td>
        <StatusBadge status={job.status} />
      </td>
      <td>{job.priority}</td>
      <td>
        <ProgressBar job={job} label={`Progress of ${job.jobId}`} />
      </td>
      <td>
        {job.attempts ?? 0}/{job.maxAttempts ?? '?'}
      </td>
      <td>{formatTime(job.createdAt)}</td>
    </tr>
  );
};

/** Newest first, filtered and paged; rows follow their jobs live. */
export const JobsView = () => {
  const { client, session } = useApp();
  const [filters, setFilters] = useState<Filters>({ status: '', type: '', allUsers: false, userId: '' });
  // Cursors of the pages before the current one, so "Previous" goes back exactly.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<JobPage | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const cursor = cursors[cursors.length - 1];
  const refreshTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  // Answers can arrive out of order (a slow search, then a quick one): only the latest counts.
  const latest = useRef(0);
  const load = useCallback(async () => {
    const request = ++latest.current;
    setLoading(true);
    try {
      const filter = {
        limit: PAGE_SIZE,
        ...(filters.status ? { status: filters.status as JobStatus } : {}),
        ...(filters.type ? { type: filters.type } : {}),
      };
      const next =
        filters.allUsers && session.admin
          ? await client.adminJobsPage(
              { ...filter, ...(filters.userId ? { userId: filters.userId } : {}) },
              cursor,
            )
          : await client.listPage(filter, cursor);
      if (request !== latest.current) return;
      setPage(next);
      setError(undefined);
    } catch (failure) {
      if (request !== latest.current) return;
      setError(failure);
      setPage(undefined);
    } finally {
      if (request === latest.current) setLoading(false);
    }
  }, [client, session.admin, filters, cursor]);

  useEffect(() => {
    void load();
    // A backstop for what the socket cannot tell: other users' jobs (admins), missed frames.
    const timer = setInterval(() => void load(), 30_000);
    return () => clearInterval(timer);
  }, [load]);

  const applyToPage = useCallback((frame: WatchAllFrame) => {
    setPage((current) =>
      current ? { ...current, jobs: current.jobs.map((job) => applyFrame(job, frame)) } : current,
    );
  }, []);

  // New jobs: the user-wide subscription pushes the jobs submitted while it lives.
  useWatch('all', (frame) => {
    const jobId = jobIdOfFrame(frame);
    if (!jobId) return;
    if (page?.jobs.some((job) => job.jobId === jobId)) applyToPage(frame);
    else if (!cursor) {
      // A job this page has not shown yet: on the first page, newest first, it belongs on top.
      clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(() => void load(), 300);
    }
  });

  const change = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    setCursors([undefined]);
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <ChoiceSelect
          label="Status"
          name="status"
          value={filters.status}
          choices={JOB_STATUSES}
          any
          onChange={(status) => change({ status })}
        />
        <ChoiceSelect
          label="Type"
          name="type"
          value={filters.type}
          choices={JOB_TYPES}
          any
          onChange={(type) => change({ type })}
        />
        {session.admin && (
          <>
            <label class="inline">
              <input
                type="checkbox"
                checked={filters.allUsers}
                onChange={(event) => change({ allUsers: event.currentTarget.checked })}
                name="allUsers"
              />
              All users
            </label>
            {filters.allUsers && (
              <label>
                User id
                <input
                  value={filters.userId}
                  onChange={(event) => change({ userId: event.currentTarget.value.trim() })}
                  name="userId"
                  placeholder="any user"
                />
              </label>
            )}
          </>
        )}
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </form>
      {filters.allUsers && (
        <p class="hint">
          Across all users the search finds delayed, retrying, failed and cancelled jobs; give a user id to
          see that user's jobs of every status.
        </p>
      )}
      <ErrorMessage error={error} />
      <table class="jobs" aria-busy={loading}>
        <caption class="visually-hidden">Jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Progress</th>
            <th scope="col">Attempts</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {page?.jobs.map((job: Job) => (
            <JobRow key={job.jobId} job={job} onFrame={applyToPage} />
          ))}
          {!page && loading && (
            <tr>
              <td colSpan={7}>Loading…</td>
            </tr>
          )}
          {page && page.jobs.length === 0 && (
            <tr>
              <td colSpan={7}>No jobs match.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length < 2}
          onClick={() => setCursors((all) => all.slice(0, -1))}
        >
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setCursors((all) => [...all, page.nextCursor ?? undefined])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
};
