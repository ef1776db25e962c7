import * as path from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { build, type Metafile } from 'esbuild';
import { type BundleOptions, esbuildSettings, JobQueueFunction } from '../../lib/constructs/node-function';
import { JobQueueStack, type JobQueueStackProps } from '../../lib/job-queue-stack';
import { projectRoot } from '../../lib/project-root';

// Bundles for real with esbuild's API (well under a second a bundle), not through `cdk synth`.
jest.setTimeout(60_000);

const ROOT = projectRoot();

interface Bundle {
  readonly bytes: number;
  /** Every file in the bundle, relative to the project (node_modules/… for packages). */
  readonly inputs: string[];
  /**
   * The files evaluated when the bundle loads, and the external packages it imports then:
   * reached from the entry without a dynamic import().
   */
  readonly loadedAtInit: Set<string>;
}

/** A metafile path as seen from the project (node_modules may be a symlink to elsewhere). */
const normalize = (input: string) => input.replace(/^.*?node_modules\//, 'node_modules/');
/** The package a bundled file comes from, or an external import names. */
const packageOf = (input: string) =>
  /(?:node_modules\/|^)((?:@[^/]+\/)?[^/.][^/]*)/.exec(input.startsWith('lambdas/') ? '' : input)?.[1];

/** Builds a function's bundle exactly as its construct would, from the synthesized function's settings. */
const bundle = async (entry: string, options: BundleOptions): Promise<Bundle> => {
  const result = await build({
    ...esbuildSettings(ROOT, options),
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    logLevel: 'silent',
  });
  const metafile: Metafile = result.metafile;
  const [output] = Object.values(metafile.outputs);
  if (!output) throw new Error('esbuild wrote no output');
  const loadedAtInit = new Set<string>();
  const visit = (input: string) => {
    if (loadedAtInit.has(input)) return;
    loadedAtInit.add(input);
    for (const edge of metafile.inputs[input]?.imports ?? []) {
      if (edge.kind === 'dynamic-import') continue;
      if (edge.external) loadedAtInit.add(edge.path);
      else visit(edge.path);
    }
  };
  visit(path.relative(ROOT, path.join(ROOT, entry)));
  return {
    bytes: output.bytes,
    // Modules esbuild read but left nothing of (re-export indexes) are not in the bundle.
    inputs: Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([input]) => normalize(input)),
    loadedAtInit: new Set([...loadedAtInit].map(normalize)),
  };
};

/** What the stack builds the bundle of `entry` with (its tracing, whether it runs jobs). */
const optionsOf = (entry: string, props: JobQueueStackProps = {}): BundleOptions => {
  // The constructs alone (≈ 2 s): the template is not needed, only what the functions were given.
  const stack = new JobQueueStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'JobQueue', props);
  const found = stack.node
    .findAll()
    .filter((construct): construct is JobQueueFunction => construct instanceof JobQueueFunction)
    .filter((fn) => (fn.node.defaultChild as CfnResource).getMetadata('jobqueue:entry') === entry);
  if (found.length === 0) throw new Error(`No function runs ${entry}`);
  return (found[0] as JobQueueFunction).bundleOptions;
};

const JOB_HANDLER_PACKAGES = ['pdfkit', 'fontkit', 'mammoth', 'pdfjs-dist', 'exceljs', 'archiver'];

describe('the API bundle', () => {
  let api: Bundle;
  beforeAll(async () => {
    api = await bundle('lambdas/api/handler.ts', optionsOf('lambdas/api/handler.ts'));
  });

  test('stays within 300 KB, the cold-start budget (issue #10)', () => {
    expect(api.bytes).toBeGreaterThan(50_000); // a real bundle, not an empty one
    expect(api.bytes).toBeLessThanOrEqual(300 * 1024);
  });

  test('carries no job handler code: the API validates jobs, workers run them', () => {
    expect(api.inputs.filter((input) => JOB_HANDLER_PACKAGES.includes(packageOf(input) ?? ''))).toEqual([]);
    expect(api.inputs).not.toContain('lambdas/jobs/pdf-render.ts');
    expect(api.inputs).toContain('lambdas/jobs/pdf-render-schema.ts');
    // data.export: the API validates its payload; the export's code (and exceljs) is the workers'.
    expect(api.inputs).toContain('lambdas/jobs/data-export-payload.ts');
    expect(api.inputs).not.toContain('lambdas/jobs/data-export.ts');
  });

  test('without tracing, carries neither the tracer nor the X-Ray SDK', () => {
    const packages = new Set(api.inputs.map(packageOf));
    expect(packages).not.toContain('@aws-lambda-powertools/tracer');
    expect(packages).not.toContain('aws-xray-sdk-core');
    expect(api.inputs).toContain('lambdas/core/tracer-off.ts');
  });

  test("carries zod's English messages only, not its other locales", () => {
    const locales = api.inputs.filter((input) => input.includes('node_modules/zod/v4/locales/'));
    expect(locales).toEqual(['node_modules/zod/v4/locales/en.js']);
  });

  test('leaves the AWS SDK to the Lambda runtime', () => {
    expect(api.inputs.filter((input) => packageOf(input)?.startsWith('@aws-sdk/'))).toEqual([]);
  });
});

test('with tracing switched on (context jobqueue:tracing), the API bundle carries the real tracer', async () => {
  const options = optionsOf('lambdas/api/handler.ts', { tracing: lambda.Tracing.ACTIVE });
  expect(options.tracing).toBe(true);
  const traced = await bundle('lambdas/api/handler.ts', options);
  const packages = new Set(traced.inputs.map(packageOf));
  expect(packages).toContain('@aws-lambda-powertools/tracer');
  expect(packages).toContain('aws-xray-sdk-core');
  expect(traced.inputs).not.toContain('lambdas/core/tracer-off.ts');
});

describe('the worker bundle', () => {
  let worker: Bundle;
  beforeAll(async () => {
    worker = await bundle('lambdas/worker/handler.ts', optionsOf('lambdas/worker/handler.ts'));
  });

  test('carries every job type’s handler', () => {
    expect(worker.inputs).toEqual(
      expect.arrayContaining([
        'lambdas/jobs/system-simulate.ts',
        'lambdas/jobs/pdf-render.ts',
        'lambdas/jobs/resume/extract.ts',
        'lambdas/jobs/resume/analyze.ts',
        'lambdas/jobs/email-send.ts',
        'lambdas/jobs/data-sync.ts',
        'lambdas/jobs/analytics-rollup.ts',
        'lambdas/jobs/user-notify.ts',
        'lambdas/jobs/data-export.ts',
      ]),
    );
  });

  test('installs exceljs beside the bundle (loaded by an XLSX export only), so no cold start parses it', () => {
    expect(optionsOf('lambdas/worker/handler.ts').nodeModules).toContain('exceljs');
    expect(
      worker.inputs.filter((input) => ['exceljs', 'archiver', 'jszip'].includes(packageOf(input) ?? '')),
    ).toEqual([]);
    expect(worker.bytes).toBeLessThanOrEqual(400 * 1024);
  });

  test('evaluates a job type’s code only when a job of that type runs: a cold start pays for none', () => {
    const atInit = [...worker.loadedAtInit];
    expect(atInit.filter((input) => input.startsWith('lambdas/jobs/') && !isDefinition(input))).toEqual([]);
    expect(atInit.filter((input) => JOB_HANDLER_PACKAGES.includes(packageOf(input) ?? ''))).toEqual([]);
  });
});

/** The registry and what it needs to validate payloads: loaded by every function that knows job types. */
const isDefinition = (input: string) =>
  [
    'lambdas/jobs/registry.ts',
    'lambdas/jobs/job-type.ts',
    'lambdas/jobs/job-failure.ts',
    'lambdas/jobs/pdf-render-schema.ts',
    'lambdas/jobs/data-export-payload.ts',
    'lambdas/jobs/email-policy.ts',
    'lambdas/jobs/data-sync-key.ts',
    'lambdas/jobs/webhook-address.ts',
    'lambdas/jobs/resume/uploads.ts',
    'lambdas/jobs/system-cleanup-payload.ts',
    'lambdas/jobs/user-notify-payload.ts',
    'lambdas/jobs/ai/ai-payload.ts',
  ].includes(input);
