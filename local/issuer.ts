import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

const KEY_ID = 'jobqueue-local';

export interface LocalAuth {
  readonly issuer: string;
  readonly audience: string;
}

/** The local issuer's RSA key, created once and kept in `.local/issuer-key.json`. */
export const loadOrCreateKey = async (
  localDirectory: string,
): Promise<{ privateJwk: JWK; publicJwk: JWK }> => {
  const file = path.join(localDirectory, 'issuer-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
  mkdirSync(localDirectory, { recursive: true });
  writeFileSync(file, JSON.stringify({ privateJwk, publicJwk }), { mode: 0o600 });
  return { privateJwk, publicJwk };
};

/**
 * A token like the Cognito ID tokens the stack's user pool issues: `sub`, `aud` (the app
 * client), `token_use: id`, and `cognito:groups: ["admin"]` for an admin.
 */
export const signToken = async (
  privateJwk: JWK,
  auth: LocalAuth,
  userId: string,
  options: { admin?: boolean; expiresInSeconds?: number } = {},
): Promise<string> => {
  const key = await importJWK(privateJwk, 'RS256');
  return new SignJWT({
    token_use: 'id',
    'cognito:username': userId,
    ...(options.admin ? { 'cognito:groups': ['admin'] } : {}),
  })
    .setProtectedHeader({ alg: 'RS256', kid: KEY_ID, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime(`${options.expiresInSeconds ?? 12 * 3600}s`)
    .sign(key);
};
