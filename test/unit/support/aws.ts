import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

export const transactionCancelled = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
  });

/**
 * Answers BatchGetItem on the jobs table from `items`, matched by `PK`, in reverse order
 * (DynamoDB promises none), so list code that reads index keys then the jobs can be driven
 * by the same items a test's Query returns.
 */
export const serveBatchGets = (
  dynamo: AwsClientStub<DynamoDBDocumentClient>,
  items: readonly Record<string, unknown>[],
) =>
  dynamo.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
    const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
    const wanted = new Set((request?.Keys ?? []).map((key) => String(key.PK)));
    return {
      Responses: { [String(table)]: items.filter((item) => wanted.has(String(item.PK))).reverse() },
    };
  });
