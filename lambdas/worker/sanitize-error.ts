const MAX_MESSAGE_LENGTH = 1000;

/**
 * Makes a handler's error message safe to store and show to the job's owner: first line
 * only (no stack), ARNs and account ids masked, bounded length.
 */
export const sanitizeErrorMessage = (message: string): string => {
  const firstLine = message.split('\n', 1)[0] ?? '';
  const masked = firstLine
    .replace(/arn:aws[a-zA-Z-]*:[^\s"']+/g, '[resource]')
    .replace(/\b\d{12}\b/g, '[account]')
    .trim();
  const bounded = masked.length > MAX_MESSAGE_LENGTH ? `${masked.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : masked;
  return bounded || 'The job handler failed without a message';
};
