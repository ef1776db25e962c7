import * as path from 'node:path';
import type { Command } from 'commander';
import { action, clientFor, globalsOf, type RunState } from '../command-kit';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { json } from '../output';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

export const contentTypeOf = (file: string): string =>
  CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export const registerUploadCommand = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('upload')
    .description('upload a file for a job (e.g. resume.extract); prints its fileKey')
    .argument('<file>')
    .option('--content-type <type>', 'MIME type (default: from the file name)')
    .action(
      action(state, async (file: string, options, command: Command) => {
        const client = clientFor(ctx, command);
        const absolute = path.resolve(ctx.cwd, file);
        let data: Uint8Array;
        try {
          data = await ctx.readFile(absolute);
        } catch (error) {
          throw new CliError(`Cannot read ${absolute}: ${(error as Error).message}`);
        }
        const uploaded = await client.upload({
          data,
          fileName: path.basename(absolute),
          contentType: options.contentType ?? contentTypeOf(absolute),
        });
        ctx.stdout.write(globalsOf(command).json ? json(uploaded) : `${uploaded.fileKey}\n`);
        return EXIT.ok;
      }),
    );
};
