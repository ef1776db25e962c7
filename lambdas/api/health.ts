import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../core/observability';
import type { ApiDependencies } from './dependencies';

/** Each dependency gets this long to answer. */
const CHECK_TIMEOUT_MS = 2000;

type CheckState = 'ok' | 'error';

const check = async (name: string, probe: (signal: AbortSignal) => Promise<unknown>): Promise<CheckState> => {
  try {
    await probe(AbortSignal.timeout(CHECK_TIMEOUT_MS));
    return 'ok';
  } catch (error) {
    logger.warn('Health check failed', { check: name, error });
    return 'error';
  }
};

/** GET /v1/health: 200 when the table, every queue and the bucket answer; 503 otherwise. */
export const health = async (deps: ApiDependencies) => {
  const { settings } = deps;
  const [table, queues, bucket] = await Promise.all([
    check('table', (abortSignal) =>
      deps.documentClient.send(
        new GetCommand({ TableName: settings.tableName, Key: { PK: 'HEALTH', SK: 'HEALTH' } }),
        { abortSignal },
      ),
    ),
    check('queues', (abortSignal) =>
      Promise.all(
        Object.values(settings.queueUrls).map((QueueUrl) =>
          deps.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }), {
            abortSignal,
          }),
        ),
      ),
    ),
    check('bucket', (abortSignal) =>
      deps.s3.send(new HeadBucketCommand({ Bucket: settings.bucketName }), { abortSignal }),
    ),
  ]);
  const checks = { table, queues, bucket };
  const healthy = Object.values(checks).every((state) => state === 'ok');
  return { statusCode: healthy ? 200 : 503, body: { status: healthy ? 'ok' : 'degraded', checks } };
};
