import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

/**
 * Clients are created once per execution environment and reused across invocations.
 * Endpoints come from the SDK's standard variables (AWS_ENDPOINT_URL_*), which is all
 * that differs between AWS and the local cloud.
 */
export const documentClient = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

/** Queue URLs are addressed through the configured endpoint, never the URL's own host. */
export const sqsClient = tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false }));
