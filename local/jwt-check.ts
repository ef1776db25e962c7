import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';

/** Verified claims, or undefined for a missing, malformed, expired or foreign token. */
export type JwtCheck = (token: string) => Promise<Record<string, unknown> | undefined>;

/**
 * What an HTTP API JWT authorizer checks: signature against the issuer's keys, `iss`,
 * `exp`/`nbf`, and that `aud` or `client_id` is one of the configured audiences.
 */
export const jwtCheck = (publicJwk: JWK, issuer: string, audiences: readonly string[]): JwtCheck => {
  const keys = createLocalJWKSet({ keys: [publicJwk] });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, { issuer, algorithms: ['RS256'] });
      const claimed = [payload.aud, payload.client_id].flat().filter((value) => typeof value === 'string');
      return claimed.some((value) => audiences.includes(value as string)) ? payload : undefined;
    } catch {
      return undefined;
    }
  };
};
