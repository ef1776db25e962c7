import { describeError } from '../format';

/** A failed action or read, in words, announced to screen readers. */
export const ErrorMessage = ({ error }: { error: unknown }) =>
  error ? (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  ) : null;
