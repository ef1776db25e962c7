import type { JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { freshKeyPair, mintToken, nowSeconds, privateKeyOf, tamperSignature } from '../../support/jwt';
import { TEST_LOCAL_DIR } from './environment';

/**
 * Tokens of the test cloud's own issuer (its key in `<localDir>/issuer-key.json`), for any
 * user id, and the bad tokens a hostile client could present. Tests that need users of
 * their own mint them here instead of adding to TEST_USERS.
 */
const localDirectory = path.resolve(__dirname, '../../..', TEST_LOCAL_DIR);
const readLocal = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(localDirectory, file), 'utf8')) as T;

/** The local issuer's key id (local/issuer.ts). */
const LOCAL_KEY_ID = 'jobqueue-local';

const issuer = () => readLocal<{ issuer: string; audience: string }>('auth.json');
const issuerKey = () => privateKeyOf(readLocal<{ privateJwk: JsonWebKey }>('issuer-key.json').privateJwk);

const claimsFor = (sub: string, extra: Readonly<Record<string, unknown>> = {}) => {
  const auth = issuer();
  return {
    sub,
    iss: auth.issuer,
    aud: auth.audience,
    token_use: 'id',
    'cognito:username': sub,
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    ...extra,
  };
};

/** A valid token of the local issuer; `extra` claims override the defaults. */
export const localToken = (sub: string, extra: Readonly<Record<string, unknown>> = {}): string =>
  mintToken({ claims: claimsFor(sub, extra), header: { kid: LOCAL_KEY_ID }, key: issuerKey() });

/** Tokens that must never authenticate anyone, each wrong in one way. */
export const badTokens = (sub: string) => ({
  expired: localToken(sub, { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }),
  wrongIssuer: localToken(sub, { iss: 'https://issuer.evil.example' }),
  wrongAudience: localToken(sub, { aud: 'some-other-client' }),
  tamperedSignature: tamperSignature(localToken(sub)),
  algNone: mintToken({ claims: claimsFor(sub), header: { alg: 'none', kid: LOCAL_KEY_ID } }),
  // Right key id, but a key the issuer never held: a forged token.
  foreignKey: mintToken({
    claims: claimsFor(sub, { 'cognito:groups': ['admin'] }),
    header: { kid: LOCAL_KEY_ID },
    key: freshKeyPair(LOCAL_KEY_ID).privateKey,
  }),
});
