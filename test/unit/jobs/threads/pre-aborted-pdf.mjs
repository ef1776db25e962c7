// A parse thread running the real parsePdf with a signal that is already aborted when
// the document has been opened: it must stop before reading page 1.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { parsePdf } = await import('../../../../lambdas/jobs/resume/document-parsers.ts');
const controller = new AbortController();
controller.abort(new Error('stopped before page 1'));
try {
  const parsed = await parsePdf(workerData.bytes, controller.signal);
  parentPort.postMessage({ kind: 'parsed', ...parsed });
} catch (error) {
  parentPort.postMessage({ kind: 'failed', code: 'STOPPED', message: error.message });
}
