import { createTokenVerifier } from '../../../lambdas/core/jwt-verifier';
import { freshKeyPair, mintToken, nowSeconds } from '../../support/jwt';

const ISSUER = 'https://issuer.example.test';
const KID = 'test-key';
const issuerKeys = freshKeyPair(KID);

const fetchSpy = jest.spyOn(globalThis, 'fetch');
const serveKeys = () =>
  fetchSpy.mockImplementation(async () => new Response(JSON.stringify({ keys: [issuerKeys.publicJwk] })));

beforeEach(() => {
  fetchSpy.mockReset();
  serveKeys();
});
afterAll(() => fetchSpy.mockRestore());

const token = (claims: Record<string, unknown> = {}) =>
  mintToken({
    claims: { sub: 'alice', iss: ISSUER, aud: 'web', iat: nowSeconds(), exp: nowSeconds() + 600, ...claims },
    header: { kid: KID },
    key: issuerKeys.privateKey,
  });

const fetchedUris = () => fetchSpy.mock.calls.map(([uri]) => String(uri));

describe('createTokenVerifier', () => {
  test('a valid token names its user; admin only by an exact admin group', async () => {
    const verify = createTokenVerifier({ issuer: ISSUER, audience: ['web'] });
    await expect(verify(token())).resolves.toEqual({ id: 'alice', isAdmin: false });
    await expect(verify(token({ sub: 'bob', 'cognito:groups': ['admin'] }))).resolves.toEqual({
      id: 'bob',
      isAdmin: true,
    });
  });

  test("without a JWKS URI the keys come from the issuer's well-known path, with a timeout", async () => {
    await createTokenVerifier({ issuer: ISSUER, audience: ['web'] })(token());
    expect(fetchedUris()).toEqual([`${ISSUER}/.well-known/jwks.json`]);
    expect(fetchSpy.mock.calls[0]?.[1]).toEqual({ signal: expect.any(AbortSignal) });
  });

  test("an issuer's trailing slash is not doubled in the well-known path", async () => {
    const issuer = `${ISSUER}/`;
    await createTokenVerifier({ issuer, audience: ['web'] })(token({ iss: issuer }));
    expect(fetchedUris()).toEqual([`${ISSUER}/.well-known/jwks.json`]);
  });

  test('a configured JWKS URI is used as given', async () => {
    await createTokenVerifier({
      issuer: ISSUER,
      audience: ['web'],
      jwksUri: 'https://keys.example.test/k.json',
    })(token());
    expect(fetchedUris()).toEqual(['https://keys.example.test/k.json']);
  });

  test('the keys are fetched once and cached across tokens', async () => {
    const verify = createTokenVerifier({ issuer: ISSUER, audience: ['web'] });
    await verify(token());
    await verify(token({ sub: 'bob' }));
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  test('a JWKS endpoint answering an error status fails the verification', async () => {
    fetchSpy.mockImplementation(async () => new Response('nope', { status: 503 }));
    await expect(createTokenVerifier({ issuer: ISSUER, audience: ['web'] })(token())).rejects.toThrow(
      'JWKS request failed with status 503',
    );
  });

  test.each([
    ['aud', { aud: 'mobile' }],
    ['one of several aud values', { aud: ['other', 'mobile'] }],
    ["a Cognito access token's client_id", { aud: undefined, client_id: 'mobile' }],
  ])('an accepted audience in %s passes', async (_name, claims) => {
    const verify = createTokenVerifier({ issuer: ISSUER, audience: ['web', 'mobile'] });
    await expect(verify(token(claims))).resolves.toEqual({ id: 'alice', isAdmin: false });
  });

  test.each([
    ['another aud', { aud: 'other' }],
    ['no aud values accepted', { aud: ['x', 'y'] }],
    ['another client_id', { aud: undefined, client_id: 'other' }],
    ['no audience at all', { aud: undefined }],
  ])('%s is refused', async (_name, claims) => {
    const verify = createTokenVerifier({ issuer: ISSUER, audience: ['web'] });
    await expect(verify(token(claims))).rejects.toThrow('Token audience not accepted');
  });

  test('a subject that names no acceptable user is refused', async () => {
    const verify = createTokenVerifier({ issuer: ISSUER, audience: ['web'] });
    await expect(verify(token({ sub: 'alice#bob' }))).rejects.toThrow('Token subject not accepted');
  });
});
