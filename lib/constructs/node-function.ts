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
 * The esbuild run that writes a thread's bundle beside the handler's: the settings the
 * handler's bundle gets (ESM, node22, minified, source map, the same externals — the AWS
 * SDK is in the runtime, `nodeModules` are installed beside).
 */
const threadBundleCommand = (
  inputDir: string,
  outputDir: string,
  name: string,
  entry: string,
  nodeModules: readonly string[],
): string =>
  [
    JSON.stringify(path.join(inputDir, 'node_modules', '.bin', 'esbuild')),
    JSON.stringify(path.join(inputDir, entry)),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node22',
    '--minify',
    '--sourcemap',
    '--main-fields=module,main',
    '--log-level=warning',
    `--outfile=${JSON.stringify(path.join(outputDir, `${name}.mjs`))}`,
    "--external:'@aws-sdk/*'",
    ...nodeModules.map((module) => `--external:${JSON.stringify(module)}`),
    `--banner:js=${JSON.stringify(BANNER)}`,
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
}

const THREAD_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * The project's Lambda function defaults: Node.js 22 on ARM, an ESM bundle built by the
 * local esbuild (minified, with source maps), X-Ray tracing when asked, Powertools settings, its own
 * log group with a retention, and a role that may write only to that log group.
 */
export class JobQueueFunction extends NodejsFunction {
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
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'jobqueue',
        POWERTOOLS_METRICS_NAMESPACE: 'jobqueue',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Without a trace to add to, the tracer would only cost time.
        POWERTOOLS_TRACE_ENABLED: String(props.tracing === lambda.Tracing.ACTIVE),
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        nodeModules: props.nodeModules,
        banner: BANNER,
        ...(threadEntries.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  threadEntries.map(([name, entry]) =>
                    threadBundleCommand(inputDir, outputDir, name, entry, props.nodeModules ?? []),
                  ),
              },
            }
          : {}),
      },
    });
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
