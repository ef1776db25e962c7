/** The caller, as the gateway's authorizer established it. */
export interface User {
  /** The token's `sub`. */
  readonly id: string;
  /** The token's `cognito:groups` contains `admin`. */
  readonly isAdmin: boolean;
}

/** A user may see a job only if it is theirs, or they are an admin. */
export const canSee = (user: User, job: { userId: string }): boolean =>
  user.isAdmin || job.userId === user.id;

/** Longest `sub` accepted (Cognito's are 36-character UUIDs). */
export const MAX_SUBJECT_LENGTH = 128;

/**
 * Table keys join the user id with `#` (`IDEM#<user>#<key>`, `RATE#<user>`) and file keys
 * with `/` (`uploads/<user>/...`): a `sub` holding either could collide with another
 * user's keys, so such a token names no acceptable user. Control characters likewise.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const UNSAFE_SUBJECT_CHARACTER = /[#/\u0000-\u001f\u007f-\u009f]/;

export const isAcceptableSubject = (sub: unknown): sub is string =>
  typeof sub === 'string' &&
  sub.length > 0 &&
  sub.length <= MAX_SUBJECT_LENGTH &&
  !UNSAFE_SUBJECT_CHARACTER.test(sub);

/** API Gateway's flattened form of an array claim: `[a b c]` (or `[]`). */
const FLATTENED_ARRAY = /^\[([^\s[\]]+( [^\s[\]]+)*)?\]$/;

/**
 * `cognito:groups`, strictly: a real array of strings (the token itself), or the `"[a b]"`
 * string HTTP APIs make of one. Anything else (a bare string, a JSON-quoted list, commas)
 * names no group, so only an exact `admin` element can ever make an admin.
 */
export const groupsOf = (claim: unknown): string[] => {
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  if (typeof claim !== 'string') return [];
  const flattened = FLATTENED_ARRAY.exec(claim);
  if (!flattened) return [];
  return flattened[1] === undefined ? [] : flattened[1].split(' ');
};

/** The caller named by verified token claims, or undefined when they name no acceptable user. */
export const userFromClaims = (claims: Readonly<Record<string, unknown>>): User | undefined => {
  const sub = claims.sub;
  if (!isAcceptableSubject(sub)) return undefined;
  return { id: sub, isAdmin: groupsOf(claims['cognito:groups']).includes('admin') };
};
