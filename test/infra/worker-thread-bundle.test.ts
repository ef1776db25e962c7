import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { PARSE_THREAD_NAME, parseInThread } from '../../lambdas/jobs/resume/parse-thread';
import { JobQueueFunction } from '../../lib/constructs/node-function';
import { WORKER_THREAD_ENTRIES } from '../../lib/constructs/workers';
import { pdfWithPages } from '../unit/support/hostile-files';

// Bundles for real (esbuild, a few seconds): the one infra test that does.
jest.setTimeout(120_000);

describe('a function with thread entries', () => {
  let outdir: string;
  let asset: string;

  beforeAll(() => {
    // Outside the project, so the bundle cannot fall back on the project's node_modules.
    outdir = mkdtempSync(path.join(tmpdir(), 'jobqueue-bundle-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundled');
    new JobQueueFunction(stack, 'Worker', {
      entry: 'lambdas/worker/handler.ts',
      description: 'A worker bundled with its parse thread',
      runsJobs: true,
      threadEntries: WORKER_THREAD_ENTRIES,
    });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    asset = path.join(assembly.directory, assets[0] as string);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test("ships the parse thread's own bundle beside the handler's", () => {
    const files = readdirSync(asset);
    expect(files).toEqual(expect.arrayContaining(['index.mjs', `${PARSE_THREAD_NAME}.mjs`]));
    // Bundled, not the source-mode loader that compiles TypeScript with tsx.
    expect(readFileSync(path.join(asset, `${PARSE_THREAD_NAME}.mjs`), 'utf8')).not.toContain('tsx/esm/api');
  });

  test('the bundled parse thread reads a PDF on its own, with nothing but its asset', async () => {
    const parsed = await parseInThread('pdf', await pdfWithPages(2), {
      signal: new AbortController().signal,
      threadFile: pathToFileURL(path.join(asset, `${PARSE_THREAD_NAME}.mjs`)),
    });
    expect(parsed).toEqual({ text: 'Page 1 of a resume\nPage 2 of a resume', pages: 2 });
  });

  test('pdf.js is in the thread bundle only, not loaded with every handler', () => {
    const version = JSON.parse(readFileSync('node_modules/pdfjs-dist/package.json', 'utf8')).version;
    expect(readFileSync(path.join(asset, `${PARSE_THREAD_NAME}.mjs`), 'utf8')).toContain(version);
    expect(readFileSync(path.join(asset, 'index.mjs'), 'utf8')).not.toContain(version);
  });
});

describe('thread entries are checked at synth', () => {
  const stack = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Checked');

  test('an entry that does not exist names itself', () => {
    expect(
      () =>
        new JobQueueFunction(stack(), 'Worker', {
          entry: 'lambdas/worker/handler.ts',
          description: 'x',
          threadEntries: { 'parse-thread': 'lambdas/jobs/resume/no-such-file.ts' },
        }),
    ).toThrow('thread entry "lambdas/jobs/resume/no-such-file.ts" does not exist');
  });

  test('a name that would overwrite the handler is refused', () => {
    expect(
      () =>
        new JobQueueFunction(stack(), 'Worker', {
          entry: 'lambdas/worker/handler.ts',
          description: 'x',
          threadEntries: { index: 'lambdas/jobs/resume/parse-thread-main.ts' },
        }),
    ).toThrow('thread name "index" must be kebab-case, not "index"');
  });
});
