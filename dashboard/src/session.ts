import type { DashboardConfig } from './config';

/** Who is signed in, read from the token (display only: the API decides what is allowed). */
export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly admin: boolean;
  readonly expiresAt: number;
}

const TOKEN_KEY = 'jobqueue.token';
const PKCE_KEY = 'jobqueue.pkce';

const base64UrlDecode = (text: string): string => {
  const padded = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  return new TextDecoder().decode(Uint8Array.from(atob(padded), (char) => char.charCodeAt(0)));
};

const base64UrlEncode = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** The session a token stands for; throws when it is not a JWT or has expired. */
export const sessionOf = (token: string): Session => {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('That is not a JWT (three dot-separated parts).');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(base64UrlDecode(payload));
  } catch {
    throw new Error('That is not a JWT: its payload is not JSON.');
  }
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
  if (expiresAt <= Date.now()) throw new Error('That token has expired.');
  const groups = claims['cognito:groups'];
  const admin = Array.isArray(groups)
    ? groups.includes('admin')
    : typeof groups === 'string' && /^\[?(.* )?admin( .*)?\]?$/.test(groups);
  return { token, userId: String(claims.sub ?? 'unknown'), admin, expiresAt };
};

// sessionStorage: a token lives as long as the tab, and never reaches another site.
export const storedSession = (): Session | undefined => {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return undefined;
  try {
    return sessionOf(token);
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return undefined;
  }
};

export const startSession = (token: string): Session => {
  const session = sessionOf(token);
  sessionStorage.setItem(TOKEN_KEY, token);
  return session;
};

export const endSession = (config: DashboardConfig): void => {
  sessionStorage.removeItem(TOKEN_KEY);
  if (config.signIn.mode === 'cognito') {
    const logout = new URL('/logout', config.signIn.domainUrl);
    logout.searchParams.set('client_id', config.signIn.clientId);
    logout.searchParams.set('logout_uri', redirectUri());
    window.location.assign(logout.toString());
  }
};

/** Locally: the local issuer signs a token for any user id (the local cloud only). */
export const localToken = async (tokenUrl: string, userId: string, admin: boolean): Promise<string> => {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, admin }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `The local issuer answered ${response.status}.`);
  return String(body.token);
};

const redirectUri = () => `${window.location.origin}${window.location.pathname}`;

/** Cognito hosted UI, authorization code with PKCE (no client secret in a browser). */
export const beginHostedSignIn = async (signIn: { domainUrl: string; clientId: string }): Promise<void> => {
  const verifier = base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64UrlEncode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const authorize = new URL('/oauth2/authorize', signIn.domainUrl);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: signIn.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  }).toString();
  window.location.assign(authorize.toString());
};

/** Back from the hosted UI with `?code=&state=`: trade the code for tokens; undefined when not a callback. */
export const completeHostedSignIn = async (signIn: {
  domainUrl: string;
  clientId: string;
}): Promise<Session | undefined> => {
  const query = new URLSearchParams(window.location.search);
  const code = query.get('code');
  if (!code) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(PKCE_KEY);
  window.history.replaceState(null, '', redirectUri() + window.location.hash);
  if (!saved.verifier || saved.state !== query.get('state')) {
    throw new Error('The sign-in answer does not match the sign-in this tab started: sign in again.');
  }
  const response = await fetch(new URL('/oauth2/token', signIn.domainUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: signIn.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.id_token) {
    throw new Error(`Sign-in failed: ${body.error_description ?? body.error ?? response.status}.`);
  }
  // The ID token carries `cognito:groups` and the app client as `aud`, as the API expects.
  return startSession(String(body.id_token));
};
