// One Lambda execution environment: a worker thread holding one function's handler module.
// The host sends invocations one at a time, as Lambda does; a crash ends this thread only.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { entry, handlerName, functionName, memorySize } = workerData;
let handler;
try {
  const module = await import(pathToFileURL(entry).href);
  handler = module[handlerName];
  if (typeof handler !== 'function') throw new Error(`${entry} does not export ${handlerName}`);
  parentPort.postMessage({ kind: 'ready' });
} catch (error) {
  // An init error fails the cold start, as in Lambda (Runtime.ImportModuleError / config errors).
  parentPort.postMessage({ kind: 'init-error', error: { message: String(error?.stack ?? error) } });
}

parentPort.on('message', async ({ id, event, deadline }) => {
  const context = {
    awsRequestId: id ?? randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memorySize),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done() {},
    fail() {},
    succeed() {},
  };
  try {
    const result = await handler(event, context);
    parentPort.postMessage({ kind: 'result', id, result: result === undefined ? null : result });
  } catch (error) {
    parentPort.postMessage({
      kind: 'error',
      id,
      error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) },
    });
  }
});
