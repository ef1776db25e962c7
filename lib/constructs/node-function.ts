import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { projectRoot } from '../project-root';

const PROJECT_ROOT = projectRoot();

export interface JobQueueFunctionProps {
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
}

/**
 * The project's Lambda function defaults: Node.js 22 on ARM, an ESM bundle built by the
 * local esbuild (minified, with source maps), X-Ray tracing, Powertools settings, its own
 * log group with a retention, and a role that may write only to that log group.
 */
export class JobQueueFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: JobQueueFunctionProps) {
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
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'jobqueue',
        POWERTOOLS_METRICS_NAMESPACE: 'jobqueue',
        POWERTOOLS_LOG_LEVEL: 'INFO',
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
        // ESM bundles still meet CommonJS dependencies that call require().
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    logGroup.grantWrite(role);
    // The local cloud (`npm start`) runs each function from its source file, found here.
    (this.node.defaultChild as lambda.CfnFunction).addMetadata('jobqueue:entry', props.entry);
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
