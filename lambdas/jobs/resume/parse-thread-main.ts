// The parse thread: parses one document (workerData) and answers with one message.
// Started by parse-thread.ts; bundled on its own as parse-thread.mjs for Lambda.
import { parentPort, workerData } from 'node:worker_threads';
import { JobFailure } from '../job-failure';
import { corruptFile, tooComplex } from './document-limits';
import { parseDocument } from './document-parsers';
import { ABORT_MESSAGE, type ParseAnswer, type ParseRequest } from './parse-thread';

const toAnswer = (error: unknown, format: string): ParseAnswer => {
  // Deep nesting (stack) or a string or array past V8's limits: the file, not the code.
  const failure =
    error instanceof JobFailure
      ? error
      : error instanceof RangeError
        ? tooComplex('its structure is too deep or too large')
        : corruptFile(format, error);
  return { ok: false, code: failure.code, message: failure.message };
};

if (parentPort) {
  const port = parentPort;
  const request = workerData as ParseRequest;
  const controller = new AbortController();
  port.on('message', (message: unknown) => {
    if (message === ABORT_MESSAGE) controller.abort(tooComplex('reading it was stopped'));
  });
  let answer: ParseAnswer;
  try {
    answer = {
      ok: true,
      ...(await parseDocument(request.format, request.bytes, controller.signal, request.limits)),
    };
  } catch (error) {
    answer = toAnswer(error, request.format);
  }
  // The runner terminates the thread once it has the answer.
  port.postMessage(answer);
}
