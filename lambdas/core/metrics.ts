import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/**
 * CloudWatch metrics (EMF lines in the function's log, namespace from
 * POWERTOOLS_METRICS_NAMESPACE), apart from `observability.ts` so that functions that
 * record none do not load them. An EMF line is ≈ 300 log bytes: metrics are recorded for
 * outcomes worth counting (a failure, a retry, a throttle, a recovery), not for every
 * job, whose happy path the stats counters already count.
 */
export const metrics = new Metrics();

/**
 * Publishes the invocation's metrics if it recorded any. (Powertools' `logMetrics` logs a
 * warning for an invocation without metrics: a line for every happy batch.)
 */
export const publishMetrics = (): MiddlewareObj => {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
};
