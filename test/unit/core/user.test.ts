import {
  groupsOf,
  isAcceptableSubject,
  MAX_SUBJECT_LENGTH,
  userFromClaims,
} from '../../../lambdas/core/user';

describe('cognito:groups', () => {
  test.each([
    ['a real array', ['users', 'admin']],
    ['API Gateway’s flattened form', '[admin]'],
    ['the flattened form with several groups', '[users admin ops]'],
  ])('%s with an exact admin element makes an admin', (_name, claim) => {
    expect(groupsOf(claim)).toContain('admin');
    expect(userFromClaims({ sub: 'u-1', 'cognito:groups': claim })?.isAdmin).toBe(true);
  });

  test.each([
    ['a bare string', 'admin'],
    ['a longer group name', '[administrators]'],
    ['a prefixed name', '[xadmin]'],
    ['a JSON-quoted list', '["admin"]'],
    ['a JSON-quoted list with others', '["users","admin"]'],
    ['a comma-separated list', 'admin,users'],
    ['commas inside brackets', '[admin,users]'],
    ['nested brackets', '[[admin]]'],
    ['a tab separator', '[users\tadmin]'],
    ['text around the brackets', 'x[admin]'],
    ['a doubled space', '[users  admin]'],
    ['a case variant', '[Admin]'],
    ['an array holding a non-string', [['admin']]],
    ['an array of a longer name', ['administrators']],
    ['an object', { admin: true }],
    ['a number', 1],
    ['nothing', undefined],
  ])('%s does not make an admin', (_name, claim) => {
    expect(userFromClaims({ sub: 'u-1', 'cognito:groups': claim })?.isAdmin).toBe(false);
  });

  test('the flattened form is split into its groups', () => {
    expect(groupsOf('[a b c]')).toEqual(['a', 'b', 'c']);
    expect(groupsOf('[]')).toEqual([]);
  });
});

describe('sub', () => {
  test.each([
    ['a Cognito UUID', '3f1c9a4e-2b7d-4c1e-9f00-5a6b7c8d9e0f'],
    ['a plain name', 'alice'],
    ['128 characters', 'u'.repeat(MAX_SUBJECT_LENGTH)],
    ['non-ASCII letters', 'jürgen'],
  ])('%s is accepted', (_name, sub) => {
    expect(isAcceptableSubject(sub)).toBe(true);
    expect(userFromClaims({ sub })).toEqual({ id: sub, isAdmin: false });
  });

  test.each([
    ['empty', ''],
    ['with # (key separator)', 'alice#order'],
    ['with / (path separator)', 'alice/../bob'],
    ['with a newline', 'alice\nbob'],
    ['with NUL', 'alice\u0000'],
    ['with DEL', 'alice\u007f'],
    ['with a C1 control', 'alice\u0085'],
    ['over 128 characters', 'u'.repeat(MAX_SUBJECT_LENGTH + 1)],
    ['not a string', 42],
    ['missing', undefined],
  ])('%s names no user', (_name, sub) => {
    expect(isAcceptableSubject(sub)).toBe(false);
    expect(userFromClaims({ sub, 'cognito:groups': ['admin'] })).toBeUndefined();
  });
});
