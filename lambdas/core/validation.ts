import * as z from 'zod';
import { type FieldIssue, ValidationError } from './errors';

const fieldName = (parts: readonly unknown[]) => parts.map(String).filter(Boolean).join('.') || '(body)';

/**
 * zod issues → the contract's `details.fields` entries (`payload.steps`, `priority`, …).
 * An unknown key is named itself, one entry each, not the object that holds it.
 */
export const fieldIssues = (error: z.ZodError, prefix = ''): FieldIssue[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldName([prefix, ...issue.path, key]),
          message: 'is not a known field',
        }))
      : [{ field: fieldName([prefix, ...issue.path]), message: issue.message }],
  );

/** Parses `value` or throws a ValidationError listing every failing field. */
export const parseOrThrow = <Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  message: string,
  prefix = '',
): z.output<Schema> => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(message, fieldIssues(parsed.error, prefix));
  return parsed.data;
};

/** A whole-number query parameter from 1 to `max` (query strings arrive as text). */
export const limitParam = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));
