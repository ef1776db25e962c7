import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Adds `amount` to the counter of one fixed window unless that would take it past
 * `limit`: one conditional update, so concurrent callers can never overshoot. False
 * when the window is full. The window item deletes itself (TTL) at `expiresAt`.
 */
export const takeFromWindow = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, string>,
  amount: number,
  limit: number,
  expiresAt: number,
): Promise<boolean> => {
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'ADD #count :count SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':count': amount, ':ceiling': limit - amount, ':expiresAt': expiresAt },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};
