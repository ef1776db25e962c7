import { handleSocketEvent } from '../../../lambdas/socket/handler';
import { recordingSocketDependencies } from '../support/socket-dependencies';

const event = (routeKey: string, fields: { authorizer?: unknown; body?: string } = {}) =>
  ({
    requestContext: { routeKey, connectionId: 'c-1', authorizer: fields.authorizer },
    body: fields.body,
  }) as never;

describe('$connect', () => {
  test('without a user from the authorizer the connection is refused (401) and nothing is saved', async () => {
    const { deps, calls } = recordingSocketDependencies();
    expect(await handleSocketEvent(event('$connect', { authorizer: {} }), deps)).toEqual({ statusCode: 401 });
    expect(await handleSocketEvent(event('$connect'), deps)).toEqual({ statusCode: 401 });
    expect(calls).toEqual([]);
  });

  test.each([
    [true, true],
    ['true', true],
    ['false', false],
    [false, false],
    [undefined, false],
    ['TRUE', false],
  ])('isAdmin %p from the authorizer is saved as %p', async (isAdmin, saved) => {
    const { deps, calls } = recordingSocketDependencies();
    const result = await handleSocketEvent(
      event('$connect', { authorizer: { userId: 'user-1', isAdmin } }),
      deps,
    );
    expect(result).toEqual({ statusCode: 200 });
    expect(calls).toEqual([['save', 'c-1', 'user-1', saved]]);
  });
});

test('$disconnect removes the connection and its subscriptions', async () => {
  const { deps, calls } = recordingSocketDependencies();
  expect(await handleSocketEvent(event('$disconnect'), deps)).toEqual({ statusCode: 200 });
  expect(calls).toEqual([['remove', 'c-1']]);
});

test('any other route is a client frame, answered on the connection', async () => {
  const { deps, posted } = recordingSocketDependencies();
  expect(await handleSocketEvent(event('ping', { body: '{"action":"ping"}' }), deps)).toEqual({
    statusCode: 200,
  });
  expect(posted).toEqual([{ type: 'pong' }]);
});

test('a failure answers 500 and does not throw', async () => {
  const { deps } = recordingSocketDependencies();
  (deps.connections as unknown as { remove: () => Promise<void> }).remove = async () => {
    throw new Error('table unavailable');
  };
  expect(await handleSocketEvent(event('$disconnect'), deps)).toEqual({ statusCode: 500 });
});
