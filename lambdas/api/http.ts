import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../core/errors';
import { type User, userFromClaims } from '../core/user';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Largest request body accepted (bigger input goes through an upload). */
export const MAX_BODY_BYTES = 256 * 1024;

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The raw body as text, refusing anything over the limit before parsing it. */
const rawBody = (event: HttpEvent): string => {
  if (!event.body) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}. Upload large input with POST /v1/uploads.`,
    );
  }
  return bytes.toString('utf8');
};

/** The JSON body; an empty or malformed body is a validation error. */
export const jsonBody = (event: HttpEvent): unknown => {
  const text = rawBody(event);
  if (text.trim() === '') throw new ValidationError('The request body must be a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('The request body is not valid JSON.');
  }
};

/** Header lookup regardless of case (API Gateway lower-cases them, other callers may not). */
export const header = (event: HttpEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};

/** The caller as the JWT authorizer established it; claims naming no acceptable user are a 401. */
export const userOf = (event: HttpEvent): User => {
  const user = userFromClaims(event.requestContext.authorizer?.jwt?.claims ?? {});
  if (!user) throw new UnauthorizedError();
  return user;
};
