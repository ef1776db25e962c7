import { ChatClient } from '../../../lambdas/jobs/ai/chat-client';
import { JobPostponed } from '../../../lambdas/jobs/job-failure';
import { GATE_MAX_WAITS, GATE_TAIL_MS, PerSecondGate } from '../../../lambdas/jobs/request-gate';

/** A clock that only sleeping (or a slow write) moves, and a limiter that answers from a script. */
const harness = (startMs: number, answers: boolean[], writeTakesMs = 0) => {
  let now = startMs;
  const asked: number[] = [];
  const limiter = {
    tryAcquire: jest.fn(async (_key: string, _perSecond: number, at?: Date) => {
      asked.push((at as Date).getTime());
      now += writeTakesMs;
      return answers.shift() ?? false;
    }),
  };
  const slept: number[] = [];
  const gate = new PerSecondGate({
    limiter,
    key: 'ai.complete#requests',
    perSecond: 5,
    postponeCode: 'AI_RATE_LIMITED',
    clock: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  });
  return { gate, limiter, asked, slept, now: () => now };
};
const signal = new AbortController().signal;

describe('PerSecondGate', () => {
  test('early in a second with room: one slot taken for that second, the request goes at once', async () => {
    const { gate, limiter, slept } = harness(10_000_100, [true]);
    await gate.pass(signal);
    expect(limiter.tryAcquire).toHaveBeenCalledWith('ai.complete#requests', 5, new Date(10_000_100));
    expect(slept).toEqual([]);
  });

  test('in the last part of a second it asks nothing and waits for the next second', async () => {
    const { gate, asked, slept } = harness(10_000_000 + 1000 - GATE_TAIL_MS + 10, [true]);
    await gate.pass(signal);
    expect(slept).toHaveLength(1);
    expect(asked).toHaveLength(1);
    // Asked in the next second, a few milliseconds past its start.
    expect(Math.floor((asked[0] as number) / 1000)).toBe(10_001);
    expect((asked[0] as number) % 1000).toBeLessThan(60);
  });

  test('a full second means trying the next one; each try is a second later', async () => {
    const { gate, asked } = harness(10_000_200, [false, false, true]);
    await gate.pass(signal);
    expect(asked.map((at) => Math.floor(at / 1000))).toEqual([10_000, 10_001, 10_002]);
  });

  test(`after ${GATE_MAX_WAITS} waits the job is postponed (back to the queue, no attempt used)`, async () => {
    const { gate, asked } = harness(10_000_200, []);
    const error = await gate.pass(signal).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobPostponed);
    expect(error).toMatchObject({ code: 'AI_RATE_LIMITED', retryAfterSeconds: 1 });
    expect(asked).toHaveLength(GATE_MAX_WAITS + 1);
  });

  test('a slot whose write ran into the tail is not used: the request waits for the next second', async () => {
    const { gate, asked, slept } = harness(10_000_000 + 1000 - GATE_TAIL_MS - 100, [true, true], 200);
    await gate.pass(signal);
    expect(asked).toHaveLength(2);
    expect(slept).toHaveLength(1);
  });

  test('the job’s abort ends a wait at once', async () => {
    const controller = new AbortController();
    const gate = new PerSecondGate({
      limiter: { tryAcquire: async () => false },
      key: 'k',
      perSecond: 1,
      postponeCode: 'AI_RATE_LIMITED',
    });
    const passing = gate.pass(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(passing).rejects.toThrow('deadline');
  });
});

test('ChatClient passes the gate before the request leaves, and sends nothing when the gate postpones', async () => {
  const order: string[] = [];
  const fetch = jest.fn(async () => {
    order.push('fetch');
    return new Response(
      JSON.stringify({
        choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      }),
      { status: 200 },
    );
  });
  let open = true;
  const client = new ChatClient({
    endpoint: 'https://ai.example.com/v1',
    model: 'm',
    apiKey: async () => 'key',
    gate: {
      pass: async () => {
        order.push('gate');
        if (!open) throw new JobPostponed('AI_RATE_LIMITED', 'wait', 1);
      },
    },
    fetch: fetch as unknown as typeof globalThis.fetch,
  });
  const request = { messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 5 };
  await client.complete(request, signal);
  expect(order).toEqual(['gate', 'fetch']);
  open = false;
  await expect(client.complete(request, signal)).rejects.toBeInstanceOf(JobPostponed);
  expect(fetch).toHaveBeenCalledTimes(1);
});
