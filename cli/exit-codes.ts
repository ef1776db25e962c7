/** The CLI's exit codes (documented in docs/client-and-cli.md). */
export const EXIT = {
  /** Done; for `submit --watch` and `watch`: the job completed. */
  ok: 0,
  /** The API refused the request, or could not be reached. */
  error: 1,
  /** Bad arguments or options (commander's own errors too). */
  usage: 2,
  /** The watched job failed. */
  jobFailed: 3,
  /** The watched job was cancelled. */
  jobCancelled: 4,
  /** Interrupted (Ctrl-C) while watching. */
  interrupted: 130,
} as const;

/** Exit code for a job that ended with `status`. */
export const exitCodeOf = (status: string): number =>
  status === 'completed' ? EXIT.ok : status === 'cancelled' ? EXIT.jobCancelled : EXIT.jobFailed;

/** A refusal of the CLI itself (not the API): message on stderr, exit `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
