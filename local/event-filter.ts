/**
 * Lambda event filtering (the EventBridge pattern subset CDK's FilterCriteria emit): a
 * pattern object matches when every key matches; an array lists accepted values (or
 * `{ prefix }`, `{ exists }`, `{ anything-but }` rules); a nested object recurses.
 */
export const matchesPattern = (pattern: unknown, value: unknown): boolean => {
  if (Array.isArray(pattern)) return pattern.some((rule) => matchesRule(rule, value));
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern as Record<string, unknown>).every(([key, rule]) =>
    matchesPattern(rule, (value as Record<string, unknown>)[key]),
  );
};

const matchesRule = (rule: unknown, value: unknown): boolean => {
  if (rule !== null && typeof rule === 'object') {
    const object = rule as Record<string, unknown>;
    if ('prefix' in object) return typeof value === 'string' && value.startsWith(String(object.prefix));
    if ('exists' in object) return object.exists === true ? value !== undefined : value === undefined;
    if ('anything-but' in object) {
      const excluded = [object['anything-but']].flat();
      return !excluded.includes(value as never);
    }
    return false;
  }
  if (Array.isArray(value)) return value.includes(rule as never);
  return rule === value;
};

/** Whether a record passes a mapping's FilterCriteria (no filters: every record does). */
export const passesFilters = (
  filters: readonly { Pattern: string }[] | undefined,
  record: unknown,
): boolean =>
  !filters ||
  filters.length === 0 ||
  filters.some((filter) => matchesPattern(JSON.parse(filter.Pattern), record));
