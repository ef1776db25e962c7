import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { type User, userFromClaims } from './user';

export interface TokenVerifierOptions {
  readonly issuer: string;
  /** Accepted audiences: an ID token's `aud` or a Cognito access token's `client_id`. */
  readonly audience: readonly string[];
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri?: string;
}

/** Fetches the issuer's keys with the platform's fetch (any http(s) issuer, with a timeout). */
const platformFetcher = {
  fetch: async (uri: string): Promise<ArrayBuffer> => {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`JWKS request failed with status ${response.status}`);
    return response.arrayBuffer();
  },
};

export type TokenVerifier = (token: string) => Promise<User>;

/**
 * Verifies a bearer token's signature (the issuer's JWKS, cached across invocations),
 * issuer, expiry and audience, and returns the caller as the HTTP API sees it
 * (userFromClaims: the same `sub` and `cognito:groups` rules). Rejects with an error otherwise.
 */
export const createTokenVerifier = (options: TokenVerifierOptions): TokenVerifier => {
  const audiences = new Set(options.audience);
  const verifier = JwtVerifier.create(
    {
      issuer: options.issuer,
      jwksUri: options.jwksUri ?? `${options.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      // Checked below: Cognito access tokens carry the client id in `client_id`, not `aud`.
      audience: null,
      customJwtCheck: ({ payload }) => {
        const claimed = [payload.aud, payload.client_id].flat().filter((value) => typeof value === 'string');
        if (!claimed.some((value) => audiences.has(value as string)))
          throw new Error('Token audience not accepted');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: platformFetcher }) },
  );
  return async (token) => {
    const payload = await verifier.verify(token);
    const user = userFromClaims(payload);
    if (!user) throw new Error('Token subject not accepted');
    return user;
  };
};
