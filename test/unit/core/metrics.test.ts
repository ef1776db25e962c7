import middy from '@middy/core';
import { metrics, publishMetrics } from '../../../lambdas/core/metrics';

afterEach(() => jest.restoreAllMocks());

const handlerRecording = (record: boolean, fail = false) =>
  middy(async () => {
    if (record) metrics.addMetric('JobsFailed', 'Count', 1);
    if (fail) throw new Error('boom');
    return 'done';
  }).use(publishMetrics());

test('an invocation that recorded no metric publishes nothing (no EMF line, no "no metrics" warning)', async () => {
  const publish = jest.spyOn(metrics, 'publishStoredMetrics');
  await expect(handlerRecording(false)(undefined, {} as never)).resolves.toBe('done');
  expect(publish).not.toHaveBeenCalled();
});

test('an invocation that recorded a metric publishes it once, also when the handler fails', async () => {
  const publish = jest.spyOn(metrics, 'publishStoredMetrics');
  await handlerRecording(true)(undefined, {} as never);
  expect(publish).toHaveBeenCalledTimes(1);
  expect(metrics.hasStoredMetrics()).toBe(false);

  await expect(handlerRecording(true, true)(undefined, {} as never)).rejects.toThrow('boom');
  expect(publish).toHaveBeenCalledTimes(2);
  expect(metrics.hasStoredMetrics()).toBe(false);
});
