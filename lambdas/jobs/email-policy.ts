import { readConfig } from '../core/config';
import { ForbiddenError } from '../core/errors';
import type { User } from '../core/user';

/** The recipients of an email.send payload, as a list. */
export const recipientsOf = (to: string | readonly string[]): readonly string[] =>
  typeof to === 'string' ? [to] : to;

/** Lower-cased domain of an address: what follows its last `@`. */
export const domainOf = (address: string): string =>
  address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * Users may mail only the stack's allowed recipient domains (exact matches: a subdomain is
 * another domain); admins may mail anyone. Otherwise the stack's SES identity is an open relay.
 */
export const requireAllowedRecipients = (
  to: string | readonly string[],
  caller: User,
  allowedDomains: readonly string[],
): void => {
  if (caller.isAdmin) return;
  const allowed = new Set(allowedDomains.map((domain) => domain.toLowerCase()));
  const outside = recipientsOf(to).filter((address) => !allowed.has(domainOf(address)));
  if (outside.length === 0) return;
  const rule =
    allowed.size === 0
      ? 'This stack allows users no email recipients (jobqueue:emailRecipientDomains is empty).'
      : `Users may email only ${[...allowed].join(', ')} (jobqueue:emailRecipientDomains).`;
  throw new ForbiddenError(`${outside.length} recipient(s) are outside the allowed domains. ${rule}`, {
    rule: 'emailRecipientDomains',
  });
};

/** The stack's allowed recipient domains, read from the function's environment when needed. */
export const allowedRecipientDomains = (): readonly string[] =>
  readConfig(['emailRecipientDomains']).emailRecipientDomains;
