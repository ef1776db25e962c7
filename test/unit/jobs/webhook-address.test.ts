import { ConfigError } from '../../../lambdas/core/config';
import {
  checkWebhookUrl,
  classifyAddress,
  webhookAddressPolicy,
} from '../../../lambdas/jobs/webhook-address';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe('classifyAddress', () => {
  test.each([
    ['93.184.216.34'],
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['172.15.255.255'],
    ['172.32.0.1'],
    ['100.63.255.255'],
    ['100.128.0.1'],
    ['2606:4700::1'],
    ['2001:4860:4860::8888'],
    ['2a00:1450:4001:82b::200e'],
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:169.254.169.254', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:93.184.216.34', 'IPv4-mapped'],
    ['::169.254.169.254', 'IPv4-compatible'],
    ['::a9fe:a9fe', 'IPv4-compatible'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::a9fe:a9fe', 'IPv4-translated (NAT64)'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-translated (NAT64)'],
    ['2002:a9fe:a9fe::1', 'IPv4 tunnel (6to4/Teredo)'],
    ['2001:0:4136:e378::1', 'IPv4 tunnel (6to4/Teredo)'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  test('a name is not an address: it must be resolved first', () => {
    expect(() => classifyAddress('hooks.example.com')).toThrow(TypeError);
  });
});

describe('checkWebhookUrl at submission', () => {
  const reasonFor = (url: string, policy = strict) => {
    const checked = checkWebhookUrl(url, policy);
    return checked.ok ? undefined : checked.reason;
  };

  test.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is link-local/],
    ['http://0xa9fea9fe/', /169\.254\.169\.254 is link-local/],
    ['http://2852039166/', /169\.254\.169\.254 is link-local/],
    ['http://0251.0376.0251.0376/', /169\.254\.169\.254 is link-local/],
    ['http://169.254.169.254./', /169\.254\.169\.254 is link-local/],
    ['http://0xa9.0xfe.0xa9.0xfe/', /link-local/],
    ['http://[::ffff:169.254.169.254]/', /IPv4-mapped/],
    ['http://[::169.254.169.254]/', /IPv4-compatible/],
    ['http://[64:ff9b::a9fe:a9fe]/', /NAT64/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[::1]:9001/2018-06-01/runtime/invocation/next', /::1 is loopback/],
    ['http://127.0.0.1/', /loopback/],
    ['http://127.1/', /127\.0\.0\.1 is loopback/],
    ['http://0x7f000001/', /127\.0\.0\.1 is loopback/],
    ['http://localhost:8080/', /localhost is loopback/],
    ['http://LOCALHOST./', /localhost is loopback/],
    ['http://api.localhost/', /loopback/],
    ['http://10.0.0.8/', /private/],
    ['http://172.20.1.1/', /private/],
    ['http://192.168.0.1/', /private/],
    ['http://[fd00::1]/', /private/],
    ['http://100.100.100.200/', /CGNAT/],
    ['http://0.0.0.0:80/', /unspecified/],
    ['http://0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://224.0.0.251/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://user:pass@hooks.example.com/', /credentials/],
    ['https://token@hooks.example.com/', /credentials/],
    ['ftp://hooks.example.com/', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['gopher://hooks.example.com:70/', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['hooks.example.com/in', /absolute http\(s\) URL/],
    ['http://[fe80::1%25eth0]/', /absolute http\(s\) URL/],
  ])('refuses %s', (url, reason) => {
    expect(reasonFor(url)).toMatch(reason);
  });

  test.each([
    ['https://hooks.example.com/in', 'https://hooks.example.com/in'],
    ['HTTPS://Hooks.Example.COM:8443/in?a=1#fragment', 'https://hooks.example.com:8443/in?a=1'],
    ['http://93.184.216.34/hook', 'http://93.184.216.34/hook'],
    ['http://[2606:4700::1]/hook', 'http://[2606:4700::1]/hook'],
    ['http://hooks.example.com/{"x"}', 'http://hooks.example.com/%7B%22x%22%7D'],
  ])('accepts %s, normalized to %s', (url, normalized) => {
    const checked = checkWebhookUrl(url, strict);
    expect(checked.ok && checked.url.href).toBe(normalized);
  });

  test.each([
    ['http://127.0.0.1:4000/in'],
    ['http://127.8.9.10/'],
    ['http://[::1]:4000/'],
    ['http://localhost:4000/'],
  ])('allowLoopback lets %s through', (url) => {
    expect(reasonFor(url, local)).toBeUndefined();
  });

  test.each([
    ['http://169.254.169.254/', /link-local/],
    ['http://0xa9fea9fe/', /link-local/],
    ['http://[::ffff:127.0.0.1]/', /IPv4-mapped/],
    ['http://[::127.0.0.1]/', /IPv4-compatible/],
    ['http://10.0.0.1/', /private/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[fe80::1]/', /link-local/],
    ['http://user:pass@127.0.0.1/', /credentials/],
  ])('allowLoopback still refuses %s', (url, reason) => {
    expect(reasonFor(url, local)).toMatch(reason);
  });
});

describe('webhookAddressPolicy', () => {
  test('loopback is refused unless WEBHOOK_ALLOW_LOOPBACK is "true"', () => {
    expect(webhookAddressPolicy({})).toEqual({ allowLoopback: false });
    expect(webhookAddressPolicy({ WEBHOOK_ALLOW_LOOPBACK: 'false' })).toEqual({ allowLoopback: false });
    expect(webhookAddressPolicy({ WEBHOOK_ALLOW_LOOPBACK: 'true' })).toEqual({ allowLoopback: true });
  });

  test('any other value is a configuration error, not a silent default', () => {
    expect(() => webhookAddressPolicy({ WEBHOOK_ALLOW_LOOPBACK: 'yes' })).toThrow(ConfigError);
  });
});
