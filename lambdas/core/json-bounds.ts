import type { FieldIssue } from './errors';

/**
 * Bounds on client JSON that is stored in a job item (payload, metadata, entity), checked
 * before anything else touches the value, so no input reaches DynamoDB (or a recursive
 * function) that it would refuse or choke on.
 *
 * - Depth: DynamoDB refuses items nested deeper than 32 levels. The job item holds the
 *   submission's fields one level down, and the value may be copied deeper still (a
 *   simulated `result`, bulk item results, WebSocket frames `{ job: { payload } }`). 16
 *   levels inside a field leaves that headroom and is far beyond any real payload (the
 *   registered schemas nest at most 4). Deeper input also never reaches the recursive
 *   code after this check (zod, the idempotency hash, the SDK's marshaller), so 20,000
 *   levels are a 400, not a stack overflow. This check itself is iterative.
 * - Numbers: JSON.parse turns `1e400` into Infinity and `9007199254740993` into
 *   9007199254740992 without a word. We refuse rather than store a value the client did
 *   not send: a number must be finite and its magnitude at most 2^53 − 1
 *   (Number.MAX_SAFE_INTEGER). Every double from 2^53 up is an integer that JSON may have
 *   rounded, so this one bound both keeps integers exact and stays well inside DynamoDB's
 *   range (±1e125, 38 digits). A non-zero magnitude below 1e-130 (DynamoDB's smallest) is
 *   refused too. Ordinary fractions (0.1) are stored as the shortest text that reads back
 *   the same double, so they round-trip.
 * - Keys: 1 to 256 characters (DynamoDB refuses empty map keys; longer ones are not
 *   names but data), at most 1,000 per object.
 */
export interface JsonBounds {
  /** Levels of objects/arrays a value may nest: `{}` is 1, `{ "a": [] }` is 2. */
  readonly maxDepth: number;
  readonly maxKeysPerObject: number;
  readonly maxKeyLength: number;
}

export const STORED_JSON_BOUNDS: JsonBounds = { maxDepth: 16, maxKeysPerObject: 1000, maxKeyLength: 256 };

/** DynamoDB's smallest non-zero magnitude. */
export const MIN_NUMBER_MAGNITUDE = 1e-130;

/** Reporting stops here: one bad field is enough to fix, and the error stays small. */
const MAX_ISSUES = 10;

/** Why `value` cannot be stored exactly, or undefined when it can. */
export const numberProblem = (value: number): string | undefined => {
  if (!Number.isFinite(value)) return 'must be a finite number';
  const magnitude = Math.abs(value);
  if (magnitude > Number.MAX_SAFE_INTEGER)
    return `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (larger numbers are not exact in JSON; send them as strings)`;
  if (magnitude !== 0 && magnitude < MIN_NUMBER_MAGNITUDE)
    return `must be 0 or at least ${MIN_NUMBER_MAGNITUDE} in magnitude`;
  return undefined;
};

interface Pending {
  readonly value: unknown;
  readonly path: string;
  /** Containers around `value`, counting the checked value's own level as 1. */
  readonly depth: number;
}

const childPath = (path: string, segment: string | number): string =>
  path === '' ? String(segment) : `${path}.${segment}`;

/**
 * Issues for every place in `value` (a JSON value) that breaks `bounds`, named by dotted
 * path under `field` (e.g. `payload.a.0.b`). Empty when the value may be stored.
 */
export const jsonBoundsIssues = (
  value: unknown,
  field: string,
  bounds: JsonBounds = STORED_JSON_BOUNDS,
): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  const stack: Pending[] = [{ value, path: field, depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value: current, path, depth } = stack.pop() as Pending;
    if (typeof current === 'number') {
      const problem = numberProblem(current);
      if (problem) issues.push({ field: path, message: problem });
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > bounds.maxDepth) {
      issues.push({ field: path, message: `nests deeper than ${bounds.maxDepth} levels` });
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1)
        stack.push({ value: current[index], path: childPath(path, index), depth: level });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > bounds.maxKeysPerObject) {
      issues.push({ field: path, message: `has more than ${bounds.maxKeysPerObject} keys` });
      continue;
    }
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index] as string;
      if (key.length === 0 || key.length > bounds.maxKeyLength) {
        issues.push({
          field: childPath(path, JSON.stringify(key.slice(0, 32))),
          message: `keys must be 1 to ${bounds.maxKeyLength} characters`,
        });
        continue;
      }
      stack.push({
        value: (current as Record<string, unknown>)[key],
        path: childPath(path, key),
        depth: level,
      });
    }
  }
  return issues;
};
