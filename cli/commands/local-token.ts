import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { action, globalsOf, type RunState } from '../command-kit';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { json } from '../output';
import { localDirectory } from '../settings';

/** `token <user> [--admin]`: a token of the local cloud's issuer, as `npm run token` prints. */
export const registerTokenCommand = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('token')
    .description('print a token of the local cloud for <user> (local only; in AWS sign in with Cognito)')
    .argument('<user>', 'the user id (the token’s sub)')
    .option('--admin', 'in the admin group')
    .action(
      action(state, async (user: string, options, command: Command) => {
        const directory = localDirectory(ctx.env, ctx.cwd, ctx.home);
        const authFile = path.join(directory, 'auth.json');
        if (!existsSync(authFile)) {
          throw new CliError(
            `No local cloud has run here yet (no ${authFile}): start it with npm start.`,
            EXIT.error,
          );
        }
        // The issuer (and jose) load only here: no other command needs them.
        const { loadOrCreateKey, signToken } = await import('../../local/issuer');
        const auth = JSON.parse(readFileSync(authFile, 'utf8'));
        const { privateJwk } = await loadOrCreateKey(directory);
        const token = await signToken(privateJwk, auth, user, { admin: Boolean(options.admin) });
        ctx.stdout.write(globalsOf(command).json ? json({ token }) : `${token}\n`);
        return EXIT.ok;
      }),
    );
};
