import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { postWebhook, type ResolveHost, resolveDeliveryTarget } from '../../../lambdas/jobs/webhook-delivery';
import { refuseSystemDns } from '../support/no-system-dns';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

const resolvesTo = (...addresses: string[]): jest.MockedFunction<ResolveHost> =>
  jest.fn(async (_hostname: string) =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  );

describe('resolveDeliveryTarget', () => {
  test.each([
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped'],
    ['fd00:ec2::254', 'private'],
    ['127.0.0.1', 'loopback'],
  ])('a public-looking name resolving to %s is refused (%s), not retried', async (address, kind) => {
    const resolve = resolvesTo(address);
    await expect(
      resolveDeliveryTarget('https://hooks.example.com/in', strict, resolve),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_ADDRESS_REFUSED',
      retryable: false,
      message: expect.stringContaining(`hooks.example.com resolves to a ${kind} address`),
    });
    expect(resolve).toHaveBeenCalledWith('hooks.example.com');
  });

  test('one non-public address among public ones is enough to refuse', async () => {
    const resolve = resolvesTo('93.184.216.34', '169.254.169.254');
    await expect(
      resolveDeliveryTarget('https://hooks.example.com/in', strict, resolve),
    ).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  test('allowLoopback admits a name resolving to loopback, never to link-local', async () => {
    await expect(
      resolveDeliveryTarget('http://receiver.test:8080/in', local, resolvesTo('127.0.0.1')),
    ).resolves.toMatchObject({ addresses: [{ address: '127.0.0.1', family: 4 }] });
    await expect(
      resolveDeliveryTarget('http://receiver.test:8080/in', local, resolvesTo('169.254.169.254')),
    ).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED', retryable: false });
  });

  test('a public name yields its first address to connect to, and the normalized URL', async () => {
    const target = await resolveDeliveryTarget(
      'HTTPS://Hooks.Example.com/in?a=1#x',
      strict,
      resolvesTo('2606:4700::1', '93.184.216.34'),
    );
    expect(target.addresses).toEqual([
      { address: '2606:4700::1', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ]);
    expect(target.url.href).toBe('https://hooks.example.com/in?a=1');
  });

  test.each([
    ['http://169.254.169.254/'],
    ['http://0xa9fea9fe/'],
    ['http://[::ffff:a9fe:a9fe]/'],
    ['http://user:pass@hooks.example.com/'],
    ['ftp://hooks.example.com/'],
  ])('a job queued before the rules (%s) is refused at delivery without any lookup', async (url) => {
    const resolve = resolvesTo('93.184.216.34');
    await expect(resolveDeliveryTarget(url, strict, resolve)).rejects.toMatchObject({
      code: 'WEBHOOK_ADDRESS_REFUSED',
      retryable: false,
    });
    expect(resolve).not.toHaveBeenCalled();
  });

  test('an IP-literal URL is not resolved', async () => {
    const resolve = resolvesTo('10.0.0.1');
    const target = await resolveDeliveryTarget('http://93.184.216.34:8080/in', strict, resolve);
    expect(target.addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(resolve).not.toHaveBeenCalled();
  });

  test('a failed lookup is retryable WEBHOOK_UNREACHABLE', async () => {
    const resolve: ResolveHost = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(resolveDeliveryTarget('https://gone.example.com/', strict, resolve)).rejects.toMatchObject({
      code: 'WEBHOOK_UNREACHABLE',
      retryable: true,
    });
  });
});

describe('postWebhook', () => {
  interface Received {
    readonly method?: string;
    readonly url?: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
  }
  let server: Server;
  let port: number;
  const received: Received[] = [];
  let answer = 204;
  const systemLookup = refuseSystemDns();

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, headers: request.headers, body });
        response.writeHead(answer, answer === 302 ? { location: '/elsewhere' } : {}).end('ignored');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    systemLookup.mockRestore();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    answer = 204;
    systemLookup.mockClear();
  });

  const post = (url: string, ...addresses: string[]) =>
    postWebhook({
      target: {
        url: new URL(url),
        addresses: (addresses.length > 0 ? addresses : ['127.0.0.1']).map((address) => ({
          address,
          family: 4,
        })),
      },
      headers: { 'content-type': 'application/json', 'x-signature': 'sha256=abc' },
      body: '{"a":1}',
      signal: AbortSignal.timeout(5000),
    });

  test('connects to the checked address with the name as Host, and does no lookup of its own', async () => {
    const status = await post(`http://hooks.example.test:${port}/in?entity=r-1`);
    expect(status).toBe(204);
    expect(systemLookup).not.toHaveBeenCalled();
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/in?entity=r-1',
        body: '{"a":1}',
        headers: expect.objectContaining({
          host: `hooks.example.test:${port}`,
          'x-signature': 'sha256=abc',
          'content-length': '7',
        }),
      }),
    ]);
  });

  test('redirects are not followed: the 3xx is the answer', async () => {
    answer = 302;
    expect(await post(`http://hooks.example.test:${port}/in`)).toBe(302);
    expect(received.map((request) => request.url)).toEqual(['/in']);
  });

  test('falls back from one checked address to the next, and to nothing else', async () => {
    // 127.0.0.2 is loopback too, but nothing listens there on this port.
    expect(await post(`http://hooks.example.test:${port}/in`, '127.0.0.2', '127.0.0.1')).toBe(204);
    expect(received).toHaveLength(1);
  });

  test('a refused connection rejects (the caller retries it)', async () => {
    // 127.0.0.2 is loopback too, but nothing listens there on this port.
    await expect(post(`http://hooks.example.test:${port}/in`, '127.0.0.2')).rejects.toThrow(/ECONNREFUSED/);
    await expect(post(`http://hooks.example.test:${port}/in`, '127.0.0.2', '127.0.0.3')).rejects.toThrow();
  });
});

describe('no connection is opened for a refused address', () => {
  test('a name resolving to 169.254.169.254 never reaches a socket', async () => {
    const connect = jest.spyOn(Socket.prototype, 'connect').mockImplementation(() => {
      throw new Error('a socket was opened');
    });
    try {
      const target = resolveDeliveryTarget(
        'http://metadata.example.com/latest/',
        local,
        resolvesTo('169.254.169.254'),
      ).then((checked) =>
        postWebhook({ target: checked, headers: {}, body: '{}', signal: AbortSignal.timeout(1000) }),
      );
      await expect(target).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });
});
