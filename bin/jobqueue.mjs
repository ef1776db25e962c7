#!/usr/bin/env node
// `jobqueue`: runs the TypeScript CLI (cli/main.ts) through tsx, so a fresh clone needs
// only `npm install`, no build step.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const home = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2), home);
// Let stdout drain (a pipe may be slow), then leave even if a socket lingers.
process.stdout.write('', () => process.exit(code));
