import { JobQueueClient } from 'jobqueue/client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useAlarms } from './alarms';
import type { DashboardConfig } from './config';
import { AppContext } from './context';
import { endSession, type Session } from './session';
import { AlarmsView } from './views/alarms-view';
import { JobDetailView } from './views/job-detail-view';
import { JobsView } from './views/jobs-view';
import { QueuesView } from './views/queues-view';
import { SignInView } from './views/sign-in-view';
import { StatsView } from './views/stats-view';

// Hash routes: the same files work at any path, on CloudFront and on the local port alike.
const useRoute = (): string => {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const update = () => setHash(window.location.hash);
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash.replace(/^#/, '') || '/jobs';
};

const NAV = [
  { path: '/jobs', label: 'Jobs' },
  { path: '/queues', label: 'Queues', admin: true },
  { path: '/alarms', label: 'Alarms', admin: true },
  { path: '/stats', label: 'Stats' },
];

export const App = ({
  config,
  initialSession,
  initialError,
}: {
  config: DashboardConfig;
  initialSession?: Session;
  initialError?: unknown;
}) => {
  const [session, setSession] = useState(initialSession);
  const route = useRoute();
  const client = useMemo(
    () =>
      session
        ? new JobQueueClient({ url: config.httpUrl, webSocketUrl: config.webSocketUrl, token: session.token })
        : undefined,
    [config, session],
  );

  // Admins only, app-wide: the nav shows how many alarms are in ALARM from any view.
  const alarms = useAlarms(client as JobQueueClient, Boolean(client && session?.admin));

  useEffect(() => {
    // Signed out at the token's expiry: the API would answer 401 from then on anyway.
    if (!session || !Number.isFinite(session.expiresAt)) return;
    const timer = setTimeout(
      () => setSession(undefined),
      Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1),
    );
    return () => clearTimeout(timer);
  }, [session]);

  if (!session || !client) {
    return <SignInView config={config} onSignedIn={setSession} initialError={initialError} />;
  }
  const jobMatch = /^\/jobs\/([^/]+)$/.exec(route);
  const page = jobMatch?.[1] ? (
    <JobDetailView key={jobMatch[1]} jobId={decodeURIComponent(jobMatch[1])} />
  ) : route === '/queues' ? (
    <QueuesView />
  ) : route === '/alarms' ? (
    <AlarmsView state={alarms} />
  ) : route === '/stats' ? (
    <StatsView />
  ) : (
    <JobsView />
  );
  const section = `/${route.split('/')[1] ?? 'jobs'}`;
  const raised = alarms.alarms?.filter((alarm) => alarm.state === 'ALARM').length ?? 0;
  return (
    <AppContext.Provider value={{ client, session }}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">jobqueue</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((entry) => !entry.admin || session.admin).map((entry) => (
              <li key={entry.path}>
                <a href={`#${entry.path}`} aria-current={section === entry.path ? 'page' : undefined}>
                  {entry.label}
                  {entry.path === '/alarms' && raised > 0 && (
                    <span class="nav-count" data-testid="alarm-count">
                      {raised}
                      <span class="visually-hidden"> in alarm</span>
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          Signed in as <strong data-testid="user">{session.userId}</strong>
          {session.admin ? ' (admin)' : ''}
        </span>
        <button
          type="button"
          onClick={() => {
            endSession(config);
            setSession(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      {config.signIn.mode === 'local' && (
        <footer>
          Local cloud: <a href="local/">transitions and mail sink</a>
        </footer>
      )}
    </AppContext.Provider>
  );
};
