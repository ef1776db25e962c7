import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { projectRoot } from '../project-root';
import { ConfigurationError } from '../validation';

const PROJECT_ROOT = projectRoot();

// ESM bundles still meet CommonJS dependencies that call require().
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Stands in for `@aws-lambda-powertools/tracer` in the bundles of functions without tracing:
 * the tracer's module pulls in the X-Ray SDK (≈ 120 KB minified with its dependencies, and
 * their init time) whether or not it traces anything.
 */
const TRACER_OFF = 'lambdas/core/tracer-off.ts';

/** "false" in functions that do not run jobs (see `lambdas/jobs/registry.ts`). */
const RUNS_JOBS_VARIABLE = 'JOBQUEUE_RUNS_JOBS';

/** What a function's bundle depends on besides its entry. */
export interface BundleOptions {
  /** X-Ray tracing is on: the real tracer is bundled. */
  readonly tracing: boolean;
  /** The function runs jobs (a worker): the job handlers' code is bundled. */
  readonly runsJobs: boolean;
  /** Packages installed beside the bundle instead of bundled. */
  readonly nodeModules: readonly string[];
}

/**
 * The esbuild settings of every bundle a function ships (its handler's and its threads'),
 * in esbuild's own terms: the construct renders them as NodejsFunction's bundling options
 * and as the thread's command line, and the bundle-size test builds with them as they are.
 * ESM for node22, minified, without source maps (a map is as large as the code again and
 * `--enable-source-maps` parses it at every cold start; a minified stack trace still names
 * the error, and the log line carries jobId and correlationId). The AWS SDK v3 is the
 * runtime's own, so it stays out (the local cloud runs the source, with node_modules).
 */
export const esbuildSettings = (root: string, options: BundleOptions) => ({
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node22',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*', ...options.nodeModules],
  // A literal where the code asks, so esbuild drops the branch that is never taken (and
  // the modules only it imports); the function's environment says the same for the source.
  define: { [`process.env.${RUNS_JOBS_VARIABLE}`]: JSON.stringify(String(options.runsJobs)) },
  alias: options.tracing
    ? ({} as Record<string, string>)
    : { '@aws-lambda-powertools/tracer': path.join(root, TRACER_OFF) },
  banner: { js: BANNER },
});

type EsbuildSettings = ReturnType<typeof esbuildSettings>;

/** `--alias:from=to` for each entry, as NodejsFunction's `esbuildArgs` writes a repeated flag. */
const aliasArgs = (alias: Readonly<Record<string, string>>): string[] =>
  Object.entries(alias).map(([from, to]) => `${from}=${to}`);

/** The esbuild run that writes a thread's bundle beside the handler's, with the handler's settings. */
const threadBundleCommand = (
  inputDir: string,
  outputDir: string,
  name: string,
  entry: string,
  settings: EsbuildSettings,
): string =>
  [
    JSON.stringify(path.join(inputDir, 'node_modules', '.bin', 'esbuild')),
    JSON.stringify(path.join(inputDir, entry)),
    '--bundle',
    `--platform=${settings.platform}`,
    `--format=${settings.format}`,
    `--target=${settings.target}`,
    ...(settings.minify ? ['--minify'] : []),
    ...(settings.sourcemap ? ['--sourcemap'] : []),
    `--main-fields=${settings.mainFields.join(',')}`,
    '--log-level=warning',
    `--outfile=${JSON.stringify(path.join(outputDir, `${name}.mjs`))}`,
    ...settings.external.map((module) => `--external:${JSON.stringify(module)}`),
    ...Object.entries(settings.define).map(([key, value]) => `--define:${key}=${JSON.stringify(value)}`),
    ...Object.entries(settings.alias).map(([from, to]) => `--alias:${from}=${JSON.stringify(to)}`),
    `--banner:js=${JSON.stringify(settings.banner.js)}`,
  ].join(' ');

/** What every construct that creates functions accepts about tracing. */
export interface FunctionTracingProps {
  /**
   * X-Ray tracing of the functions. `ACTIVE` records every invocation at the rates this
   * queue usually sees (Lambda samples 1 request a second plus 5 %, not configurable):
   * ≈ $5 a million invocations. Switch it on with the `jobqueue:tracing` context key.
   * @default lambda.Tracing.DISABLED
   */
  readonly tracing?: lambda.Tracing;
}

export interface JobQueueFunctionProps extends FunctionTracingProps {
  /** Handler file, relative to the project root (e.g. `lambdas/api/handler.ts`); it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Packages installed beside the bundle instead of bundled, for those that read their
   * own data files at run time (pdfkit's font metrics). @default none
   */
  readonly nodeModules?: string[];
  /**
   * Files bundled beside the handler for code that runs in a worker thread: output name
   * (written as `<name>.mjs`) → entry relative to the project root. A NodejsFunction bundle
   * is one file (esbuild cannot split it), so a thread's code is a second esbuild run
   * after the handler's, with the same settings and externals. @default none
   */
  readonly threadEntries?: Readonly<Record<string, string>>;
  /**
   * The function runs jobs (a worker). Only then does its bundle carry the job handlers'
   * code (pdfkit, fontkit, mammoth, the resume parsers…); elsewhere the registry's loaders
   * are left out at bundling and refuse to run. @default false
   */
  readonly runsJobs?: boolean;
}

const THREAD_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * The project's Lambda function defaults: Node.js 22 on ARM, an ESM bundle built by the
 * local esbuild (see `esbuildSettings`), X-Ray tracing when asked, Powertools settings, its own
 * log group with a retention, and a role that may write only to that log group.
 */
export class JobQueueFunction extends NodejsFunction {
  /** What its bundle was built with besides the entry (the bundle-size test rebuilds it). */
  readonly bundleOptions: BundleOptions;

  constructor(scope: Construct, id: string, props: JobQueueFunctionProps) {
    const threadEntries = Object.entries(props.threadEntries ?? {});
    for (const [name, entry] of threadEntries) {
      if (!THREAD_NAME.test(name) || name === 'index') {
        throw new ConfigurationError(
          scope,
          `${id}: thread name ${JSON.stringify(name)} must be kebab-case, not "index"`,
        );
      }
      if (!existsSync(path.join(PROJECT_ROOT, entry))) {
        throw new ConfigurationError(scope, `${id}: thread entry ${JSON.stringify(entry)} does not exist`);
      }
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    const tracing = props.tracing === lambda.Tracing.ACTIVE;
    const bundleOptions: BundleOptions = {
      tracing,
      runsJobs: props.runsJobs ?? false,
      nodeModules: props.nodeModules ?? [],
    };
    const settings = esbuildSettings(PROJECT_ROOT, bundleOptions);
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      logGroup,
      // JSON logs let Lambda filter by level. Its own START, END and REPORT lines are INFO
      // (≈ 390 bytes an invocation, most of a happy job's log bill): WARN keeps only the
      // platform's reports of failures (timeouts, crashes, dropped logs). Duration, errors
      // and throttles stay in the function's CloudWatch metrics; memory used and init
      // duration per invocation are then gone (set INFO here to see them again).
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      // The same level as Powertools' (which warns when they differ): the happy path writes nothing at INFO.
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'jobqueue',
        POWERTOOLS_METRICS_NAMESPACE: 'jobqueue',
        POWERTOOLS_LOG_LEVEL: lambda.ApplicationLogLevel.INFO,
        // Without a trace to add to, the tracer would only cost time.
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        // The bundle has it baked in (esbuild define); the local cloud runs the source.
        [RUNS_JOBS_VARIABLE]: String(bundleOptions.runsJobs),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: settings.target,
        minify: settings.minify,
        sourceMap: settings.sourcemap,
        mainFields: settings.mainFields,
        externalModules: settings.external.filter((module) => !bundleOptions.nodeModules.includes(module)),
        nodeModules: props.nodeModules,
        define: settings.define,
        esbuildArgs: Object.keys(settings.alias).length > 0 ? { '--alias': aliasArgs(settings.alias) } : {},
        banner: settings.banner.js,
        ...(threadEntries.length > 0 || bundleOptions.nodeModules.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  ...threadEntries.map(([name, entry]) =>
                    threadBundleCommand(
                      inputDir,
                      outputDir,
                      name,
                      entry,
                      esbuildSettings(inputDir, bundleOptions),
                    ),
                  ),
                  // The installed packages' source maps (≈ 7 MB for pdfkit and mammoth)
                  // would only be read with --enable-source-maps, which no function sets.
                  ...(bundleOptions.nodeModules.length > 0
                    ? [
                        `find ${JSON.stringify(path.join(outputDir, 'node_modules'))} -name '*.map' -type f -delete`,
                      ]
                    : []),
                ],
              },
            }
          : {}),
      },
    });
    this.bundleOptions = bundleOptions;
    logGroup.grantWrite(role);
    // The local cloud (`npm start`) runs each function from its source file, found here.
    (this.node.defaultChild as lambda.CfnFunction).addMetadata('jobqueue:entry', props.entry);
    if (threadEntries.length > 0) {
      (this.node.defaultChild as lambda.CfnFunction).addMetadata(
        'jobqueue:threads',
        Object.fromEntries(threadEntries.map(([name, entry]) => [`${name}.mjs`, entry])),
      );
    }
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Log streams are created at run time inside the function’s own log group; X-Ray segments have no resource ARN.',
          appliesTo: [{ regex: '/^Resource::<.*Logs.*\\.Arn>:\\*$/g' }, 'Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this, [
      {
        id: 'AwsSolutions-L1',
        reason: 'Pinned to Node.js 22, the runtime the project builds and tests for.',
      },
    ]);
  }
}
