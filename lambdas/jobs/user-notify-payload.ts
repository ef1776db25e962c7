import * as z from 'zod';
import { ForbiddenError } from '../core/errors';
import { NOTIFICATION_LEVELS } from '../core/notification-store';
import { isAcceptableSubject, type User } from '../core/user';

/**
 * Text shown in someone's dashboard: no control characters (a title none at all, a
 * message tabs and line breaks only) and no bidirectional overrides, which could make a
 * title or a link read as something it is not.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const TITLE_REFUSED = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const MESSAGE_REFUSED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const hasText = (text: string) => text.trim().length > 0;

export const MAX_TITLE_LENGTH = 200;
export const MAX_MESSAGE_LENGTH = 2000;
export const MAX_LINK_LENGTH = 2048;

/**
 * A link a dashboard may render as `<a href>`: written out as `http://` or `https://`
 * (so `javascript:`, `data:`, `file:` and lenient forms like `https:host` never pass),
 * no spaces, controls or backslashes (which browsers read as slashes), and no user
 * name or password, which make `https://bank.example@evil.example` look like another host.
 */
export const isSafeLink = (text: string): boolean => {
  if (!/^https?:\/\/[^\s\\]+$/i.test(text) || TITLE_REFUSED.test(text)) return false;
  try {
    const url = new URL(text);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
};

export const userNotifyPayloadSchema = z
  .object({
    /** Whom to notify; absent: the submitter. Only admins may name someone else. */
    userId: z.string().refine(isAcceptableSubject, 'must be a user id').optional(),
    level: z.enum(NOTIFICATION_LEVELS),
    title: z
      .string()
      .min(1)
      .max(MAX_TITLE_LENGTH)
      .refine(hasText, 'must not be blank')
      .refine((text) => !TITLE_REFUSED.test(text), 'must not contain control or bidirectional characters'),
    message: z
      .string()
      .min(1)
      .max(MAX_MESSAGE_LENGTH)
      .refine(hasText, 'must not be blank')
      .refine(
        (text) => !MESSAGE_REFUSED.test(text),
        'must not contain control characters other than tabs and line breaks',
      ),
    link: z
      .string()
      .max(MAX_LINK_LENGTH)
      .refine(isSafeLink, 'must be an http(s) URL without spaces or credentials')
      .optional(),
  })
  .strict();

export type UserNotifyPayload = z.output<typeof userNotifyPayloadSchema>;

/** Users may notify only themselves (no `userId`, or their own); admins anyone. */
export const authorizeUserNotify = (payload: UserNotifyPayload, caller: User): void => {
  if (payload.userId === undefined || payload.userId === caller.id || caller.isAdmin) return;
  throw new ForbiddenError('Users may notify only themselves; admins may notify anyone.', {
    rule: 'notifyOthers',
  });
};
