// The parse thread: loads the parser, says it has started, parses one document
// (workerData) and answers with one message. Started by parse-thread.ts; bundled on its
// own as parse-thread.mjs for Lambda.
import { parentPort, workerData } from 'node:worker_threads';
import { JobFailure } from '../job-failure';
import { corruptFile, tooComplex } from './document-limits';
import { loadParser, parseDocument } from './document-parsers';
import { ABORT_MESSAGE, type ParseRequest, type ParseThreadMessage } from './parse-thread';

const failed = (error: unknown, format: string): ParseThreadMessage => {
  // Deep nesting (stack) or a string or array past V8's limits: the file, not the code.
  const failure =
    error instanceof JobFailure
      ? error
      : error instanceof RangeError
        ? tooComplex('its structure is too deep or too large')
        : corruptFile(format, error);
  return { kind: 'failed', code: failure.code, message: failure.message };
};

if (parentPort) {
  const port = parentPort;
  const request = workerData as ParseRequest;
  const controller = new AbortController();
  port.on('message', (message: unknown) => {
    if (message === ABORT_MESSAGE) controller.abort(tooComplex('reading it was stopped'));
  });
  // A parser that cannot load is our fault, not the file's: let it surface as the thread's error.
  await loadParser(request.format);
  port.postMessage({ kind: 'started' } satisfies ParseThreadMessage);
  let answer: ParseThreadMessage;
  try {
    answer = {
      kind: 'parsed',
      ...(await parseDocument(request.format, request.bytes, controller.signal, request.limits)),
    };
  } catch (error) {
    answer = failed(error, request.format);
  }
  // The runner terminates the thread once it has the answer.
  port.postMessage(answer);
}
