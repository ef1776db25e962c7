import { createServer, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { JobQueueClient } from '../../../client';

/** The client with the real `ws` constructor, as Node 20 programs use it. */
describe('watch over `ws`', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let accepted = 0;

  beforeAll(async () => {
    // Accepts connections and never answers the handshake: the socket stays CONNECTING.
    server = createServer((socket) => {
      accepted += 1;
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('ending a watch while its socket is still connecting neither throws nor crashes the process', async () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new JobQueueClient({
      url: 'http://127.0.0.1:9',
      webSocketUrl: `ws://127.0.0.1:${port}/live`,
      token: 't',
      WebSocket,
    });
    const controller = new AbortController();
    const watching = (async () => {
      for await (const _frame of client.watch('01JAAAAAAAAAAAAAAAAAAAAAAA', { signal: controller.signal }));
    })();
    const deadline = Date.now() + 2000;
    while (accepted === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(accepted).toBe(1);
    controller.abort();
    await expect(watching).resolves.toBeUndefined();
    // `ws` reports the aborted handshake on the next tick: give it the chance to escape.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});
