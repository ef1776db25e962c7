import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { readConfig } from '../core/config';
import { createTokenVerifier, type TokenVerifier } from '../core/jwt-verifier';
import { logger } from '../core/observability';

const config = readConfig(['jwtIssuer', 'jwtAudience', 'jwtJwksUri']);
const verifyToken = createTokenVerifier({
  issuer: config.jwtIssuer,
  audience: config.jwtAudience,
  jwksUri: config.jwtJwksUri,
});

/**
 * `$connect` authorizer: the JWT comes in the `token` query parameter (browsers cannot
 * set headers on a WebSocket). Allowed connections carry the user into later events.
 * A thrown `Unauthorized` makes API Gateway refuse the upgrade with 401.
 */
export const authorize = async (
  event: APIGatewayRequestAuthorizerEvent,
  verify: TokenVerifier = verifyToken,
): Promise<APIGatewayAuthorizerResult> => {
  const token = event.queryStringParameters?.token;
  if (!token) throw new Error('Unauthorized');
  let user: Awaited<ReturnType<TokenVerifier>>;
  try {
    user = await verify(token);
  } catch (error) {
    logger.info('WebSocket connection refused', {
      reason: error instanceof Error ? error.message : 'invalid token',
    });
    throw new Error('Unauthorized');
  }
  return {
    principalId: user.id,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { userId: user.id, isAdmin: user.isAdmin ? 'true' : 'false' },
  };
};

export const handler = middy((event: APIGatewayRequestAuthorizerEvent) => authorize(event)).use(
  injectLambdaContext(logger),
);
