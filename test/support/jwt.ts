import { createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from 'node:crypto';

/**
 * Hand-made JWTs for the auth tests, good and deliberately bad. Built with node:crypto
 * rather than jose: jose ships ES modules only, which Jest's CommonJS runtime cannot load.
 */
export interface MintOptions {
  readonly claims: Readonly<Record<string, unknown>>;
  /** Merged over `{ alg: 'RS256', typ: 'JWT' }`. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** RS256 signing key; undefined leaves the signature empty (as an `alg: none` token has). */
  readonly key?: KeyObject;
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const mintToken = ({ claims, header, key }: MintOptions): string => {
  const signingInput = `${part({ alg: 'RS256', typ: 'JWT', ...header })}.${part(claims)}`;
  if (!key) return `${signingInput}.`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
};

/** The same token with its signature's first bytes changed: signed content, broken proof. */
export const tamperSignature = (token: string): string => {
  const [header, payload, signature = ''] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  for (let index = 0; index < 8 && index < bytes.length; index += 1)
    bytes[index] = (bytes[index] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
};

/** The signed claims changed after signing (here: another `sub`), signature kept. */
export const tamperClaims = (token: string, changes: Readonly<Record<string, unknown>>): string => {
  const [header, payload = '', signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return `${header}.${part({ ...claims, ...changes })}.${signature}`;
};

/** A fresh RSA key pair, its public half as a JWK with `kid`. */
export const freshKeyPair = (kid: string): { privateKey: KeyObject; publicJwk: JsonWebKey } => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
};

export const privateKeyOf = (jwk: JsonWebKey): KeyObject => createPrivateKey({ key: jwk, format: 'jwk' });

export const nowSeconds = () => Math.floor(Date.now() / 1000);
