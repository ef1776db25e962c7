// `npm run token -- <userId> [--admin]`: prints a token of the running local cloud's issuer.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type LocalAuth, loadOrCreateKey, signToken } from './issuer';
import { LOCAL_DIRECTORY } from './paths';

const args = process.argv.slice(2);
const admin = args.includes('--admin');
const userId = args.find((arg) => !arg.startsWith('--'));
if (!userId) {
  process.stderr.write('usage: npm run token -- <userId> [--admin]\n');
  process.exit(2);
}
const authFile = path.join(LOCAL_DIRECTORY, 'auth.json');
if (!existsSync(authFile)) {
  process.stderr.write('No local cloud has run here yet: start it with `npm start` first.\n');
  process.exit(1);
}
const auth = JSON.parse(readFileSync(authFile, 'utf8')) as LocalAuth;
const { privateJwk } = await loadOrCreateKey(LOCAL_DIRECTORY);
process.stdout.write(`${await signToken(privateJwk, auth, userId, { admin })}\n`);
