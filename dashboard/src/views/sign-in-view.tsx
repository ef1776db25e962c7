import { useState } from 'preact/hooks';
import { ErrorMessage } from '../components/error-message';
import type { DashboardConfig } from '../config';
import { beginHostedSignIn, localToken, type Session, startSession } from '../session';

const LOCAL_USERS = ['alice', 'bob', 'carol', 'dave'];

/** Sign-in by the stack's mode: the local user picker, Cognito's hosted UI, or a pasted token. */
export const SignInView = ({
  config,
  onSignedIn,
  initialError,
}: {
  config: DashboardConfig;
  onSignedIn: (session: Session) => void;
  initialError?: unknown;
}) => {
  const [error, setError] = useState<unknown>(initialError);
  const [userId, setUserId] = useState('alice');
  const [admin, setAdmin] = useState(false);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);

  const attempt = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to jobqueue</h1>
      {config.signIn.mode === 'local' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const { tokenUrl } = config.signIn as { tokenUrl: string };
            void attempt(async () =>
              onSignedIn(startSession(await localToken(tokenUrl, userId.trim(), admin))),
            );
          }}
        >
          <p>Local cloud: pick any user; the local issuer signs a token for it.</p>
          <label>
            User id
            <input
              name="userId"
              list="local-users"
              required
              pattern="[A-Za-z0-9._@\-]{1,64}"
              value={userId}
              onInput={(event) => setUserId(event.currentTarget.value)}
            />
          </label>
          <datalist id="local-users">
            {LOCAL_USERS.map((user) => (
              <option key={user} value={user} />
            ))}
          </datalist>
          <label class="inline">
            <input
              type="checkbox"
              name="admin"
              checked={admin}
              onChange={(event) => setAdmin(event.currentTarget.checked)}
            />
            Administrator (member of the <code>admin</code> group)
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {config.signIn.mode === 'cognito' && (
        <div>
          <p>You sign in on the stack's Cognito page and come back here.</p>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void attempt(() => beginHostedSignIn(config.signIn as { domainUrl: string; clientId: string }))
            }
          >
            Sign in with Cognito
          </button>
        </div>
      )}
      {config.signIn.mode === 'token' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void attempt(async () => onSignedIn(startSession(token.trim())));
          }}
        >
          <label>
            Token (a JWT of the stack's issuer)
            <textarea
              name="token"
              rows={5}
              required
              value={token}
              onInput={(event) => setToken(event.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
    </main>
  );
};
