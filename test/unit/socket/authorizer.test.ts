import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createTokenVerifier } from '../../../lambdas/core/jwt-verifier';
import { logger } from '../../../lambdas/core/observability';
import { authorize, handler } from '../../../lambdas/socket/authorizer';
import { freshKeyPair, mintToken, nowSeconds, tamperClaims, tamperSignature } from '../../support/jwt';

const ISSUER = 'https://issuer.example.test';
const AUDIENCE = 'jobqueue-test';
const KID = 'test-key';
const issuerKeys = freshKeyPair(KID);

// The verifier fetches the issuer's JWKS with the platform fetch: serve it from here.
beforeAll(() => {
  jest
    .spyOn(globalThis, 'fetch')
    .mockImplementation(async () => new Response(JSON.stringify({ keys: [issuerKeys.publicJwk] })));
});
afterAll(() => jest.restoreAllMocks());

const claims = (overrides: Record<string, unknown> = {}) => ({
  sub: 'alice',
  iss: ISSUER,
  aud: AUDIENCE,
  token_use: 'id',
  iat: nowSeconds(),
  exp: nowSeconds() + 600,
  ...overrides,
});
const goodToken = (overrides: Record<string, unknown> = {}) =>
  mintToken({ claims: claims(overrides), header: { kid: KID }, key: issuerKeys.privateKey });

const verify = createTokenVerifier({ issuer: ISSUER, audience: [AUDIENCE], jwksUri: `${ISSUER}/jwks.json` });

const connectEvent = (token?: string) =>
  ({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/$connect',
    queryStringParameters: token === undefined ? {} : { token },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('the WebSocket $connect authorizer', () => {
  test('a valid token connects with its sub; no groups is no admin', async () => {
    const result = await authorize(connectEvent(goodToken()), verify);
    expect(result.principalId).toBe('alice');
    expect(result.context).toEqual({ userId: 'alice', isAdmin: 'false' });
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
  });

  test.each([
    ['an array with admin', 'true', ['users', 'admin']],
    ['the "[a b]" string form with admin', 'true', '[users admin]'],
    ['a bare "admin" string', 'false', 'admin'],
    ['a JSON-quoted list', 'false', '["admin"]'],
    ['[administrators]', 'false', '[administrators]'],
    ['admin,users', 'false', 'admin,users'],
  ])('cognito:groups as %s → isAdmin %s (same rule as HTTP)', async (_name, isAdmin, groups) => {
    const result = await authorize(connectEvent(goodToken({ 'cognito:groups': groups })), verify);
    expect(result.context?.isAdmin).toBe(isAdmin);
  });

  const wrongKey = freshKeyPair(KID);
  test.each([
    ['no token', undefined],
    ['an expired token', goodToken({ exp: nowSeconds() - 60 })],
    ['another issuer', goodToken({ iss: 'https://evil.example.test' })],
    ['another audience', goodToken({ aud: 'someone-else' })],
    ['a tampered signature', tamperSignature(goodToken())],
    ['tampered claims', tamperClaims(goodToken(), { sub: 'bob' })],
    [
      'a key the issuer does not hold',
      mintToken({ claims: claims(), header: { kid: KID }, key: wrongKey.privateKey }),
    ],
    ['alg: none', mintToken({ claims: claims(), header: { alg: 'none', kid: KID } })],
    ['a sub with #', goodToken({ sub: 'alice#bob' })],
    ['a sub with /', goodToken({ sub: 'alice/bob' })],
    ['an empty sub', goodToken({ sub: '' })],
    ['a sub over 128 characters', goodToken({ sub: 'a'.repeat(129) })],
    ['not a JWT', 'garbage'],
  ])('%s is refused (API Gateway answers the upgrade with 401)', async (_name, token) => {
    await expect(authorize(connectEvent(token), verify)).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('the authorizer’s answer and refusals', () => {
  const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/$connect';

  test('an allowed connection is an IAM policy for exactly this $connect, carrying the user', async () => {
    const result = await authorize(connectEvent('t'), async () => ({ id: 'bob', isAdmin: true }));
    expect(result).toEqual({
      principalId: 'bob',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: { userId: 'bob', isAdmin: 'true' },
    });
  });

  test('the token query parameter is what gets verified', async () => {
    const verifyStub = jest.fn(async () => ({ id: 'alice', isAdmin: false }));
    await authorize(connectEvent('the-token'), verifyStub);
    expect(verifyStub).toHaveBeenCalledWith('the-token');
  });

  test.each([
    ['no query string at all', { type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: null }],
    ['an empty token', { type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: { token: '' } }],
  ])('%s is refused without verifying anything', async (_name, event) => {
    const verifyStub = jest.fn(async () => ({ id: 'alice', isAdmin: false }));
    await expect(authorize(event as unknown as APIGatewayRequestAuthorizerEvent, verifyStub)).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(verifyStub).not.toHaveBeenCalled();
  });

  test('a refusal is logged with the reason, which never reaches the client', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    try {
      await expect(
        authorize(connectEvent('t'), async () => {
          throw new Error('Token expired at 2026-11-23');
        }),
      ).rejects.toThrow(/^Unauthorized$/);
      await expect(
        authorize(connectEvent('t'), async () => {
          throw 'not an Error';
        }),
      ).rejects.toThrow(/^Unauthorized$/);
      expect(info.mock.calls).toEqual([
        ['WebSocket connection refused', { reason: 'Token expired at 2026-11-23' }],
        ['WebSocket connection refused', { reason: 'invalid token' }],
      ]);
    } finally {
      info.mockRestore();
    }
  });
});

describe('the deployed handler', () => {
  const context = {
    functionName: 'socket-authorizer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:socket-authorizer',
    memoryLimitInMB: '128',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => 3000,
  } as unknown as Context;

  test('verifies with the configured issuer and audience (JWT_ISSUER, JWT_AUDIENCE)', async () => {
    const result = await handler(connectEvent(goodToken({ sub: 'carol' })), context);
    expect(result.context).toEqual({ userId: 'carol', isAdmin: 'false' });
  });

  test('refuses a token for another audience than the configured one', async () => {
    await expect(handler(connectEvent(goodToken({ aud: 'other-app' })), context)).rejects.toThrow(
      /^Unauthorized$/,
    );
  });
});
