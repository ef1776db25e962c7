import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT } from './exit-codes';

/** Where the CLI finds the API: flags, then environment, then the running local cloud. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly wsUrl?: string;
  readonly token?: string;
}

export interface Connection {
  readonly url: string;
  readonly webSocketUrl?: string;
  readonly token: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** The project folder holding `cdk.json` above `start`, if any. */
export const findProjectRoot = (start: string): string | undefined => {
  let folder = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(folder, 'cdk.json'))) return folder;
    const parent = path.dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
};

/**
 * The local cloud's folder (`npm start` writes `stack.json` there): `JOBQUEUE_LOCAL_DIR`
 * (default `.local`) in the project around the working directory, else in the CLI's own.
 */
export const localDirectory = (env: Environment, cwd: string, home: string): string =>
  path.resolve(findProjectRoot(cwd) ?? home, env.JOBQUEUE_LOCAL_DIR ?? '.local');

interface StackFile {
  readonly httpUrl?: string;
  readonly wsUrl?: string;
}

const readStack = (directory: string): StackFile | undefined => {
  const file = path.join(directory, 'stack.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
};

export const resolveConnection = (
  options: ConnectionOptions,
  env: Environment,
  directory: string,
): Connection => {
  const stack = options.url || env.JOBQUEUE_URL ? undefined : readStack(directory);
  const url = options.url ?? env.JOBQUEUE_URL ?? stack?.httpUrl;
  if (!url) {
    throw new CliError(
      `No API URL: pass --url, set JOBQUEUE_URL, or start the local cloud (npm start writes ${path.join(directory, 'stack.json')}).`,
      EXIT.usage,
    );
  }
  const token = options.token ?? env.JOBQUEUE_TOKEN;
  if (!token) {
    throw new CliError(
      'No token: pass --token or set JOBQUEUE_TOKEN (locally: export JOBQUEUE_TOKEN=$(jobqueue token <user>)).',
      EXIT.usage,
    );
  }
  const webSocketUrl = options.wsUrl ?? env.JOBQUEUE_WS_URL ?? stack?.wsUrl;
  return { url, token, ...(webSocketUrl ? { webSocketUrl } : {}) };
};
