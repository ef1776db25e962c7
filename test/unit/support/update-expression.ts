import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

export interface DecodedUpdate {
  /** Attribute name → value of every plain `SET #x = :x` assignment. */
  readonly set: Record<string, unknown>;
  /** Attribute name → the attribute it is copied from (`SET #x = #y`). */
  readonly copied: Record<string, string>;
  /** Attribute names the update removes. */
  readonly remove: string[];
  readonly condition: string | undefined;
  readonly values: Record<string, unknown>;
}

/**
 * An UpdateCommand's input read back as attribute names and values, so a test states what
 * the write does (sets status, removes runAt) and not which placeholder the store picked.
 */
export const decodeUpdate = (input: UpdateCommandInput | undefined): DecodedUpdate => {
  const names = input?.ExpressionAttributeNames ?? {};
  const values = input?.ExpressionAttributeValues ?? {};
  const expression = String(input?.UpdateExpression ?? '');
  const nameOf = (placeholder: string) => names[placeholder] ?? placeholder;
  const set: Record<string, unknown> = {};
  const copied: Record<string, string> = {};
  const setPart = expression.match(/SET (.*?)(?= ADD | REMOVE |$)/)?.[1] ?? '';
  for (const assignment of setPart.split(', ')) {
    const match = assignment.match(/^(#?\w+) = (:\w+)$/);
    if (match?.[1] && match[2]) set[nameOf(match[1])] = values[match[2]];
    const copy = assignment.match(/^(#?\w+) = (#\w+)$/);
    if (copy?.[1] && copy[2]) copied[nameOf(copy[1])] = nameOf(copy[2]);
  }
  const removePart = expression.match(/REMOVE (.*)$/)?.[1];
  const remove = removePart ? removePart.split(', ').map(nameOf) : [];
  return { set, copied, remove, condition: input?.ConditionExpression, values };
};
