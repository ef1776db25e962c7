import type { Tracer as PowertoolsTracer } from '@aws-lambda-powertools/tracer';

/**
 * What `@aws-lambda-powertools/tracer` is in the bundle of a function without X-Ray
 * tracing (an esbuild alias set by `JobQueueFunction`): the real module loads the X-Ray
 * SDK, ≈ 100 KB and its init time, to trace nothing. It offers what `observability.ts`
 * exposes of the tracer, doing nothing.
 */
export class Tracer implements Pick<PowertoolsTracer, 'captureAWSv3Client'> {
  captureAWSv3Client<T>(service: T): T {
    return service;
  }
}
