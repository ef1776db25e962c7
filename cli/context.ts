import type { JobQueueClient } from '../client';
import type { Terminal } from './output';
import type { Connection, Environment } from './settings';

/** The client calls the CLI makes: a fake stands in for it in unit tests. */
export type CliClient = Pick<
  JobQueueClient,
  | 'submit'
  | 'get'
  | 'listPage'
  | 'adminJobsPage'
  | 'events'
  | 'items'
  | 'cancel'
  | 'retry'
  | 'stats'
  | 'queues'
  | 'alarms'
  | 'pauseQueue'
  | 'resumeQueue'
  | 'dlq'
  | 'upload'
  | 'watch'
>;

/** Everything a command touches outside itself, so tests can give it fakes. */
export interface CliContext {
  readonly stdout: Terminal;
  /** The raw stream under `stdout`, for the progress bar. */
  readonly stdoutStream: NodeJS.WritableStream;
  readonly stderr: Pick<Terminal, 'write' | 'colors'>;
  readonly env: Environment;
  readonly cwd: string;
  /** The CLI's own project folder (a fallback for `.local/stack.json`). */
  readonly home: string;
  readonly createClient: (connection: Connection) => CliClient;
  /** Asks a yes/no question on the terminal; false when nobody can answer. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly readFile: (file: string) => Promise<Uint8Array>;
  /** What `--version` prints. */
  readonly version: string;
  /** Aborts when the user presses Ctrl-C. */
  readonly interrupt: AbortSignal;
}
