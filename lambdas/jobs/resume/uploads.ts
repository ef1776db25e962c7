import { NotFoundError } from '../../core/errors';

/** Keys `POST /v1/uploads` hands out: `uploads/<userId>/<ulid>/<fileName>`. */
export const isOwnUpload = (fileKey: string, userId: string): boolean =>
  fileKey.startsWith(`uploads/${userId}/`) && !fileKey.includes('..');

/** At submission: someone else's upload answers exactly like one that does not exist. */
export const requireOwnUpload = (fileKey: string, userId: string): void => {
  if (!isOwnUpload(fileKey, userId)) throw new NotFoundError('No such file.');
};
