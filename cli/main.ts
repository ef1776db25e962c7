// The `jobqueue` command (bin/jobqueue.mjs runs this through tsx). See docs/client-and-cli.md.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import WebSocket from 'ws';
import { JobQueueClient } from '../client';
import type { CliContext } from './context';
import { EXIT } from './exit-codes';
import type { Terminal } from './output';
import { runCli } from './program';

const terminalOf = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): Terminal => ({
  write: (text) => stream.write(text),
  isTTY: stream.isTTY === true,
  colors: stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb',
});

const confirm = async (question: string): Promise<boolean> => {
  if (!process.stdin.isTTY) return false;
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await readline.question(question)).trim());
  } finally {
    readline.close();
  }
};

export const main = async (argv: readonly string[], home: string): Promise<number> => {
  const interrupt = new AbortController();
  // Ctrl-C stops a watch cleanly (the bar ends, the cursor comes back, exit 130); any
  // other command, or a watch that does not stop at once, is simply ended.
  process.once('SIGINT', () => {
    interrupt.abort();
    setTimeout(() => process.exit(EXIT.interrupted), 1000).unref();
  });
  const json = argv.includes('--json');
  const stdout = terminalOf(process.stdout, process.env);
  const ctx: CliContext = {
    // --json: machine output only, whatever the terminal.
    stdout: json ? { ...stdout, isTTY: false, colors: false } : stdout,
    stdoutStream: process.stdout,
    stderr: terminalOf(process.stderr, process.env),
    env: process.env,
    cwd: process.cwd(),
    home,
    createClient: (connection) => new JobQueueClient({ ...connection, WebSocket }),
    confirm,
    readFile: (file) => readFile(file),
    interrupt: interrupt.signal,
    version: (JSON.parse(readFileSync(path.join(home, 'package.json'), 'utf8')) as { version: string })
      .version,
  };
  return runCli(argv, ctx);
};
