export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The numeric value a named priority stands for when a client gives a name. */
export const PRIORITY_VALUES: Readonly<Record<Priority, number>> = {
  critical: 20,
  high: 10,
  normal: 5,
  low: 1,
};

export const MIN_PRIORITY_VALUE = 1;
export const MAX_PRIORITY_VALUE = 20;

/** Numeric priority → band, as in the BullMQ setups users come from: 20, 10–19, 5–9, 1–4. */
export const priorityBand = (value: number): Priority => {
  if (value >= 20) return 'critical';
  if (value >= 10) return 'high';
  if (value >= 5) return 'normal';
  return 'low';
};

export const isPriority = (value: unknown): value is Priority =>
  typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value);

/**
 * Concurrent worker invocations per priority queue unless the stack sets others (the
 * Workers construct's default; the API's completion estimates assume it).
 */
export const DEFAULT_WORKER_CONCURRENCY: Readonly<Record<Priority, number>> = {
  critical: 50,
  high: 20,
  normal: 10,
  low: 5,
};
