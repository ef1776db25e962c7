/** What the dashboard needs to know about its stack: `config.json` next to `index.html`. */
export type SignIn =
  /** A local cloud: pick a user, the local issuer signs a token (`tokenUrl`). */
  | { readonly mode: 'local'; readonly tokenUrl: string }
  /** The stack's Cognito user pool: hosted UI, authorization code + PKCE. */
  | { readonly mode: 'cognito'; readonly domainUrl: string; readonly clientId: string }
  /** An external issuer: the user pastes a token. */
  | { readonly mode: 'token' };

export interface DashboardConfig {
  readonly httpUrl: string;
  readonly webSocketUrl: string;
  readonly signIn: SignIn;
}

export const loadConfig = async (): Promise<DashboardConfig> => {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status}).`);
  const config = (await response.json()) as DashboardConfig;
  if (!config.httpUrl || !config.webSocketUrl || !config.signIn?.mode) {
    throw new Error('config.json lacks httpUrl, webSocketUrl or signIn.');
  }
  return config;
};
