import type { JobEvent } from './job';

/** DynamoDB refuses any item larger than this (attribute names and values together). */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

/**
 * The size every write that grows a job item keeps it under. The 40 KB left to the hard
 * limit absorb what is written without a check: lease renewals with progress (≤ 1 KB: its
 * texts are capped), the cancel flag, the table's key attributes, and rounding.
 */
export const ITEM_SIZE_BUDGET_BYTES = 360 * 1024;

/** The transition log keeps its first entry (submission) and the newest ones within these bounds. */
export const MAX_INLINE_EVENTS = 100;
export const MAX_INLINE_EVENTS_BYTES = 32 * 1024;

/**
 * Room a job keeps at submission for what its runs add: the bounded log, the events and
 * the error one transition writes (an error message is ≤ 1000 characters, ≤ 3 KB), the
 * progress, and the claim-check references that replace offloaded fields.
 */
export const OUTCOME_RESERVE_BYTES = MAX_INLINE_EVENTS_BYTES + 16 * 1024;

/** The largest job item accepted at submission. */
export const SUBMISSION_ITEM_BUDGET_BYTES = ITEM_SIZE_BUDGET_BYTES - OUTCOME_RESERVE_BYTES;

/** Room for the events and error one transition appends (two events, each with an error). */
export const TRANSITION_ALLOWANCE_BYTES = 3 * 3200;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** DynamoDB stores up to 38 significant digits, one byte per two, plus one; counted without trimming zeroes. */
const numberBytes = (value: number | bigint): number => {
  const digits = String(value).split(/e/i)[0]?.replace(/\D/g, '').length ?? 1;
  return Math.min(Math.ceil(digits / 2), 20) + 2;
};

/**
 * An upper bound of the bytes DynamoDB counts for `value` as an attribute value, by its
 * documented rules: strings and binaries their length, numbers a byte per two digits plus
 * one, booleans and null one byte, lists and maps 3 bytes plus one per element plus their
 * elements (with each map key's length). The serialized JSON length is no such bound:
 * `[1,1,1]` takes 2 JSON bytes per element but 3 in DynamoDB. The walk uses its own stack,
 * so no nesting depth can overflow the call stack.
 */
export const estimateValueBytes = (value: unknown): number => {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === undefined) continue;
    if (typeof next === 'string') total += utf8Bytes(next);
    else if (typeof next === 'number' || typeof next === 'bigint') total += numberBytes(next);
    else if (typeof next === 'boolean' || next === null) total += 1;
    else if (next instanceof Uint8Array) total += next.byteLength;
    else if (Array.isArray(next) || next instanceof Set) {
      const elements = [...next];
      total += 3 + elements.length;
      pending.push(...elements);
    } else if (typeof next === 'object') {
      const entries = Object.entries(next as Record<string, unknown>);
      total += 3;
      for (const [key, element] of entries) {
        total += 1 + utf8Bytes(key);
        pending.push(element);
      }
    }
  }
  return total;
};

/** An upper bound of a whole item's size: every attribute's name and value. */
export const estimateItemBytes = (item: Readonly<Record<string, unknown>>): number => {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + estimateValueBytes(value);
  }
  return total;
};

/**
 * How many of the oldest entries after the first to drop so the log keeps at most
 * MAX_INLINE_EVENTS entries within MAX_INLINE_EVENTS_BYTES. The first entry (the
 * submission) always stays, so does the newest; 0 when the log is within bounds.
 */
export const eventsToDrop = (events: readonly JobEvent[]): number => {
  if (events.length <= 2) return 0;
  const sizes = events.map((event) => 1 + estimateValueBytes(event));
  let bytes = sizes.reduce((sum, size) => sum + size, 0);
  let dropped = 0;
  // Drop from index 1 on, never the newest entry.
  while (
    dropped < events.length - 2 &&
    (events.length - dropped > MAX_INLINE_EVENTS || bytes > MAX_INLINE_EVENTS_BYTES)
  ) {
    bytes -= sizes[1 + dropped] ?? 0;
    dropped += 1;
  }
  return dropped;
};
