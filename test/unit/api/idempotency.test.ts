import { createHash } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { route } from '../../../lambdas/api/handler';
import { requestHash } from '../../../lambdas/api/submit-jobs';
import { apiDependencies, JOB_ID, storedJob } from '../support/api-dependencies';
import { httpEvent, parse } from '../support/http-event';

const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.reset());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('requestHash', () => {
  test('is the SHA-256 of the body as JSON with sorted keys, whatever the key order', () => {
    const expected = sha256('{"payload":{"a":1,"b":[2,{"c":3}]},"type":"t"}');
    expect(requestHash({ type: 't', payload: { b: [2, { c: 3 }], a: 1 } })).toBe(expected);
    expect(requestHash({ payload: { a: 1, b: [2, { c: 3 }] }, type: 't' })).toBe(expected);
  });

  test.each([
    [
      { type: 't', payload: { a: 1 } },
      { type: 't', payload: { a: 2 } },
    ],
    [
      { type: 't', payload: { a: 1 } },
      { type: 'u', payload: { a: 1 } },
    ],
    [
      { type: 't', payload: { a: [1, 2] } },
      { type: 't', payload: { a: [2, 1] } },
    ],
    [
      { type: 't', payload: { a: '1' } },
      { type: 't', payload: { a: 1 } },
    ],
  ])('differs for different bodies: %p vs %p', (first, second) => {
    expect(requestHash(first)).not.toBe(requestHash(second));
  });
});

test('a replay with another body is a conflict; the key is stored with the hash of its own body', async () => {
  const headers = { 'Idempotency-Key': 'k-1' };
  const first = { type: 'system.simulate', payload: { durationMs: 1 } };
  dynamo.on(GetCommand).resolves({});
  await route(httpEvent('POST /v1/jobs', '/v1/jobs', { body: first, headers }), apiDependencies());
  const put = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put;
  expect(put?.Item).toMatchObject({
    PK: 'IDEM#user-1#k-1',
    requestHash: sha256('{"payload":{"durationMs":1},"type":"system.simulate"}'),
  });

  dynamo.reset();
  dynamo
    .on(GetCommand, { Key: { PK: 'IDEM#user-1#k-1', SK: 'IDEM' } })
    .resolves({ Item: put?.Item })
    .on(GetCommand, { Key: { PK: `JOB#${JOB_ID}`, SK: 'JOB' } })
    .resolves({ Item: storedJob() });
  const second = { type: 'system.simulate', payload: { durationMs: 2 } };
  const result = await route(
    httpEvent('POST /v1/jobs', '/v1/jobs', { body: second, headers }),
    apiDependencies(),
  );
  expect(result.statusCode).toBe(409);
  expect(parse(result.body).error.code).toBe('IDEMPOTENCY_CONFLICT');
});
