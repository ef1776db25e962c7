import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { startFauxqs } from 'fauxqs';
import { LocalAwsEndpoints, localSecretArn, mappingUuid } from './aws-endpoints';
import { alarmDefinitions, LocalAlarms, localMeasure } from './cloudwatch-alarms';
import { startDashboard, type TransitionLine } from './dashboard';
import { createTableFromTemplate, type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { startHttpGateway } from './http-gateway';
import { type LocalAuth, loadOrCreateKey, signToken } from './issuer';
import { awsJsonClient } from './json-protocol';
import { jwtCheck } from './jwt-check';
import { LocalFunction } from './lambda-host';
import { closeServer } from './net';
import { LOCAL_DIRECTORY, PROJECT_ROOT } from './paths';
import { type RequestMeter, startRequestMeter } from './request-meter';
import { type ScheduleSpec, Schedules } from './schedules';
import { startSocketGateway } from './socket-gateway';
import { SqsEventSource } from './sqs-event-source';
import { StreamEventSource } from './stream-event-source';
import { type Bindings, readTemplate, resolve, resourcesOfType, type Template } from './template';
import { UsageLedger } from './usage-ledger';

export interface Ports {
  readonly http: number;
  readonly webSocket: number;
  readonly dynamodb: number;
  /** fauxqs: SQS and S3 on one port. */
  readonly queues: number;
  /** Dashboard and the local token issuer (JWKS). */
  readonly dashboard: number;
}

export const DEFAULT_PORTS: Ports = {
  http: 4510,
  webSocket: 4511,
  dynamodb: 4512,
  queues: 4513,
  dashboard: 4514,
};

export interface LocalCloudOptions {
  readonly ports?: Partial<Ports>;
  /** Keep DynamoDB data in `.local/data` across restarts. @default false (in memory) */
  readonly persist?: boolean;
  /** Run schedule rules more often, by rule logical id prefix (e.g. tests: `{ SchedulesSweepRule: 2000 }`). */
  readonly scheduleIntervalsMs?: Readonly<Record<string, number>>;
  /** CDK context over cdk.json's and LOCAL_CONTEXT (e.g. tests: a short `jobqueue:workerLeaseSeconds`). */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly log?: (line: string) => void;
  readonly stackName?: string;
  /**
   * Book every AWS request the functions and event sources make, invocations and log
   * bytes to `usage` (through a counting proxy; `npm run bench`). @default false
   */
  readonly meter?: boolean;
}

export interface StackFile {
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly dashboardUrl: string;
  readonly region: string;
  readonly endpoints: { readonly sqs: string; readonly s3: string; readonly dynamodb: string };
  readonly tableName: string;
  readonly bucketName: string;
  readonly queues: Record<string, { readonly url: string; readonly dlqUrl: string }>;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const USER_POOL_ID = `${REGION}_localpool`;
const WEBSOCKET_API_ID = 'localws';
const HTTP_API_ID = 'localhttp';

/** A placeholder host (`.invalid` never resolves) that stands for the local AI endpoint. */
const LOCAL_AI_ENDPOINT = 'https://ai.jobqueue.invalid';

/**
 * Context only the local cloud sets: the README walkthrough mails example.com, and the
 * end-to-end webhook receivers listen on 127.0.0.1. A deployed stack allows neither.
 */
export const LOCAL_CONTEXT = {
  // The local cloud serves the dashboard itself; CloudFront and S3 have no local stand-in.
  'jobqueue:dashboardSite': false,
  'jobqueue:emailRecipientDomains': ['example.com'],
  'jobqueue:webhookAllowLoopback': true,
  // The AI stand-in on the dashboard port (local/ai-endpoint.ts): synth sees an https URL,
  // which the functions' environment then points at the stand-in (`rewrites` below).
  'jobqueue:aiEndpoint': `${LOCAL_AI_ENDPOINT}/v1`,
} as const;

/** Synthesizes the app as `cdk synth` does, minus bundling (handlers run from source here). */
export const synthesize = (
  stackName: string,
  context: Readonly<Record<string, unknown>> = {},
): Promise<Template> =>
  new Promise((resolvePromise, reject) => {
    const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
    const outdir = path.join(PROJECT_ROOT, 'cdk.out');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bin/app.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...(cdkJson.context ?? {}),
          ...LOCAL_CONTEXT,
          ...context,
          'aws:cdk:bundling-stacks': [],
        }),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk) => {
      errors += chunk;
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`Synth failed:\n${errors.slice(-2000)}`));
      resolvePromise(readTemplate(path.join(outdir, `${stackName}.template.json`)));
    });
  });

const bucketNameOf = (logicalId: string) => `jobqueue-${logicalId.toLowerCase()}`.slice(0, 63);

/**
 * The whole stack on this machine, built from the synthesized template: DynamoDB Local,
 * fauxqs (SQS + S3), every function in its own local execution environments, the event
 * source mappings, both API gateways, the issuer, the schedules and a dashboard.
 */
export class LocalCloud {
  private readonly stops: (() => Promise<void>)[] = [];
  private readonly log: (line: string) => void;
  readonly ports: Ports;
  stack: StackFile | undefined;
  /** What the stack asked of AWS since start (or the last reset); filled only with `meter`. */
  readonly usage = new UsageLedger();
  /** Each function's resolved environment variables, by logical id (the bench loads bundles with them). */
  readonly functionEnvironments = new Map<string, Readonly<Record<string, string>>>();
  /** Called with every job status change the table's stream carries (the bench's clock). */
  readonly transitionListeners = new Set<(line: TransitionLine) => void>();

  constructor(private readonly options: LocalCloudOptions = {}) {
    this.ports = { ...DEFAULT_PORTS, ...options.ports };
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  async start(): Promise<StackFile> {
    const stackName = this.options.stackName ?? 'JobQueue';
    const ports = this.ports;
    mkdirSync(LOCAL_DIRECTORY, { recursive: true });
    // stack.json exists only while a local cloud serves it: whoever waits for it never reads a stale one.
    rmSync(this.stackFile, { force: true });
    const dataDirectory = this.options.persist ? path.join(LOCAL_DIRECTORY, 'data') : undefined;
    if (dataDirectory) mkdirSync(dataDirectory, { recursive: true });
    const localClientConfig = {
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const dynamoClient = (endpoint: string) => new DynamoDBClient({ ...localClientConfig, endpoint });

    // Synth and the Java start-up are the slow parts: run them side by side.
    const [template, dynamo, fauxqs, key] = await Promise.all([
      synthesize(stackName, this.options.context),
      startDynamoDbLocal(ports.dynamodb, { dataDirectory, client: dynamoClient }).then((started) => {
        this.stops.push(() => started.stop());
        return started;
      }),
      startFauxqs({ port: ports.queues, logger: false, defaultRegion: REGION }).catch(
        (error: NodeJS.ErrnoException) => {
          throw error.code === 'EADDRINUSE' ? new Error(`Port ${ports.queues} (SQS/S3) is taken.`) : error;
        },
      ),
      loadOrCreateKey(LOCAL_DIRECTORY),
    ]);
    this.stops.push(() => fauxqs.stop());
    const queuesEndpoint = `http://127.0.0.1:${ports.queues}`;
    const dynamoEndpoint = (dynamo as DynamoDbLocal).endpoint;
    const sqs = new SQSClient({
      ...localClientConfig,
      endpoint: queuesEndpoint,
      useQueueUrlAsEndpoint: false,
    });
    const streams = awsJsonClient(dynamoEndpoint, 'DynamoDBStreams_20120810');
    let meter: RequestMeter | undefined;
    if (this.options.meter) {
      const local = `http://127.0.0.1:${ports.dashboard}`;
      meter = await startRequestMeter({
        ledger: this.usage,
        upstreams: {
          dynamodb: dynamoEndpoint,
          dynamodbstreams: dynamoEndpoint,
          sqs: queuesEndpoint,
          s3: queuesEndpoint,
          sesv2: local,
          lambda: local,
          secretsmanager: local,
          cloudwatch: local,
          'execute-api': `http://127.0.0.1:${ports.webSocket}`,
        },
      });
      const server = meter.server;
      this.stops.push(() => closeServer(server));
    }
    // Lambda's own pollers: their SQS requests are billed to the account like any other.
    const eventSourceSqs = awsJsonClient(
      meter?.endpointFor('EventSourceMapping', 'sqs') ?? queuesEndpoint,
      'AmazonSQS',
    );
    const issuer = `http://127.0.0.1:${ports.dashboard}/issuer`;
    const resources = template.Resources;

    // --- Physical resources -------------------------------------------------------------
    const queueInfo = new Map<string, { url: string; arn: string; name: string }>();
    const queueEntries = resourcesOfType(template, 'AWS::SQS::Queue');
    const withoutRedrive = queueEntries.filter(([, queue]) => !queue.Properties?.RedrivePolicy);
    const withRedrive = queueEntries.filter(([, queue]) => queue.Properties?.RedrivePolicy);
    const tables = [
      ...resourcesOfType(template, 'AWS::DynamoDB::GlobalTable'),
      ...resourcesOfType(template, 'AWS::DynamoDB::Table'),
    ];
    const tableNames = new Map(tables.map(([id]) => [id, `jobqueue-${id}`]));
    const streamArns = new Map<string, string>();
    const functions = new Map<string, LocalFunction>();
    const functionArn = (id: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    const functionByArn = new Map<string, LocalFunction>();

    const bindings: Bindings = {
      ref: (id) => {
        const pseudo: Record<string, string> = {
          'AWS::Region': REGION,
          'AWS::AccountId': ACCOUNT,
          'AWS::Partition': 'aws',
          'AWS::URLSuffix': 'amazonaws.com',
          'AWS::StackName': stackName,
        };
        if (id in pseudo) return pseudo[id] as string;
        const resource = resources[id];
        switch (resource?.Type) {
          case 'AWS::SQS::Queue':
            return this.required(queueInfo.get(id)?.url, id);
          case 'AWS::DynamoDB::GlobalTable':
          case 'AWS::DynamoDB::Table':
            return this.required(tableNames.get(id), id);
          case 'AWS::S3::Bucket':
            return bucketNameOf(id);
          case 'AWS::Cognito::UserPool':
            return USER_POOL_ID;
          case 'AWS::Cognito::UserPoolClient':
            return 'local-client';
          case 'AWS::Lambda::EventSourceMapping':
            return mappingUuid(id);
          case 'AWS::SecretsManager::Secret':
            return localSecretArn(REGION, id);
          case 'AWS::ApiGatewayV2::Api':
            return resource.Properties?.ProtocolType === 'WEBSOCKET' ? WEBSOCKET_API_ID : HTTP_API_ID;
          default:
            return id;
        }
      },
      getAtt: (id, attribute) => {
        const resource = resources[id];
        if (resource?.Type === 'AWS::SQS::Queue') {
          const queue = queueInfo.get(id);
          if (attribute === 'Arn') return this.required(queue?.arn, id);
          if (attribute === 'QueueUrl') return this.required(queue?.url, id);
          if (attribute === 'QueueName') return this.required(queue?.name, id);
        }
        if (resource?.Type?.startsWith('AWS::DynamoDB::')) {
          if (attribute === 'StreamArn') return this.required(streamArns.get(id), id);
          if (attribute === 'Arn') return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableNames.get(id)}`;
        }
        if (resource?.Type === 'AWS::S3::Bucket' && attribute === 'Arn')
          return `arn:aws:s3:::${bucketNameOf(id)}`;
        if (resource?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(id);
        return `${id}.${attribute}`;
      },
    };

    for (const [id, queue] of [...withoutRedrive, ...withRedrive]) {
      const properties = resolve(queue.Properties ?? {}, bindings);
      const attributes: Record<string, string> = {};
      for (const name of [
        'VisibilityTimeout',
        'MessageRetentionPeriod',
        'DelaySeconds',
        'ReceiveMessageWaitTimeSeconds',
      ]) {
        if (properties[name] !== undefined) attributes[name] = String(properties[name]);
      }
      if (properties.RedrivePolicy) {
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: properties.RedrivePolicy.deadLetterTargetArn,
          maxReceiveCount: String(properties.RedrivePolicy.maxReceiveCount),
        });
      }
      const created = fauxqs.createQueue(id, { region: REGION, attributes });
      queueInfo.set(id, { url: created.queueUrl, arn: created.queueArn, name: created.queueName });
    }
    for (const [id] of resourcesOfType(template, 'AWS::S3::Bucket')) fauxqs.createBucket(bucketNameOf(id));
    const dynamoAdmin = dynamoClient(dynamoEndpoint);
    for (const [id, table] of tables) {
      const { streamArn } = await createTableFromTemplate(dynamoAdmin, tableNames.get(id) as string, table);
      streamArns.set(id, streamArn);
    }

    // Secrets keep their generated values across restarts (receivers may have been given them).
    const awsEndpoints = new LocalAwsEndpoints();
    const secretsFile = path.join(LOCAL_DIRECTORY, 'secrets.json');
    const secretValues: Record<string, string> = existsSync(secretsFile)
      ? JSON.parse(readFileSync(secretsFile, 'utf8'))
      : {};
    for (const [id, secret] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
      const length = Number(secret.Properties?.GenerateSecretString?.PasswordLength ?? 32);
      secretValues[id] ??= randomBytes(length).toString('base64url').slice(0, length);
      awsEndpoints.addSecret(localSecretArn(REGION, id), id, secretValues[id] as string);
    }
    writeFileSync(secretsFile, JSON.stringify(secretValues, null, 2), { mode: 0o600 });

    // --- Functions ----------------------------------------------------------------------
    const rewrites: [string, string][] = [
      [`https://cognito-idp.${REGION}.amazonaws.com/${USER_POOL_ID}`, issuer],
      [
        `https://${WEBSOCKET_API_ID}.execute-api.${REGION}.amazonaws.com`,
        `http://127.0.0.1:${ports.webSocket}`,
      ],
      [LOCAL_AI_ENDPOINT, `http://127.0.0.1:${ports.dashboard}`],
    ];
    const localize = (value: string) =>
      rewrites.reduce((text, [from, to]) => text.split(from).join(to), value);
    // A metered function reaches the @connections API through the meter too.
    const localizeFor = (id: string, value: string) => {
      const local = localize(value);
      const socketBase = `http://127.0.0.1:${ports.webSocket}`;
      return meter && local.startsWith(socketBase)
        ? `${meter.endpointFor(id, 'execute-api')}${local.slice(socketBase.length)}`
        : local;
    };
    const logDirectory = path.join(LOCAL_DIRECTORY, 'logs');
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const entry = fn.Metadata?.['jobqueue:entry'];
      if (typeof entry !== 'string') continue; // Custom-resource providers and the like: not ours to run.
      const properties = fn.Properties ?? {};
      const variables = resolve(properties.Environment?.Variables ?? {}, bindings) as Record<string, string>;
      const environment: Record<string, string> = {
        ...Object.fromEntries(
          Object.entries(variables).map(([name, value]) => [name, localizeFor(id, String(value))]),
        ),
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: meter?.endpointFor(id, 'dynamodb') ?? dynamoEndpoint,
        // DynamoDB Local serves the Streams API on the same port (replaying failed batches).
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: meter?.endpointFor(id, 'dynamodbstreams') ?? dynamoEndpoint,
        AWS_ENDPOINT_URL_SQS: meter?.endpointFor(id, 'sqs') ?? queuesEndpoint,
        AWS_ENDPOINT_URL_S3: meter?.endpointFor(id, 's3') ?? queuesEndpoint,
        // SES v2 (mail sink) and the Lambda event-source-mapping API are served by the local cloud itself.
        AWS_ENDPOINT_URL_SESV2: meter?.endpointFor(id, 'sesv2') ?? `http://127.0.0.1:${ports.dashboard}`,
        AWS_ENDPOINT_URL_LAMBDA: meter?.endpointFor(id, 'lambda') ?? `http://127.0.0.1:${ports.dashboard}`,
        AWS_ENDPOINT_URL_SECRETS_MANAGER:
          meter?.endpointFor(id, 'secretsmanager') ?? `http://127.0.0.1:${ports.dashboard}`,
        // DescribeAlarms of the template's alarms (local/cloudwatch-alarms.ts).
        AWS_ENDPOINT_URL_CLOUDWATCH:
          meter?.endpointFor(id, 'cloudwatch') ?? `http://127.0.0.1:${ports.dashboard}`,
        AWS_LAMBDA_FUNCTION_NAME: id,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(properties.MemorySize ?? 128),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // No X-Ray daemon here: the same as a function with tracing off.
        POWERTOOLS_TRACE_ENABLED: 'false',
      };
      delete environment.NODE_OPTIONS;
      const handler = String(properties.Handler ?? 'index.handler');
      const local = new LocalFunction(
        {
          logicalId: id,
          entry: path.join(PROJECT_ROOT, entry),
          handlerName: handler.slice(handler.lastIndexOf('.') + 1),
          environment,
          timeoutSeconds: Number(properties.Timeout ?? 3),
          memorySize: Number(properties.MemorySize ?? 128),
        },
        logDirectory,
        meter ? this.usage : undefined,
      );
      functions.set(id, local);
      this.functionEnvironments.set(id, environment);
      functionByArn.set(functionArn(id), local);
    }
    this.stops.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop(15_000)));
    });
    const functionOf = (arnOrRef: unknown): LocalFunction => {
      const text = String(arnOrRef);
      const arn = /arn:aws:lambda:[^/]+?:function:[A-Za-z0-9-_]+/.exec(text)?.[0];
      const found = (arn && functionByArn.get(arn)) || functions.get(text);
      if (!found) throw new Error(`No local function for ${text}`);
      return found;
    };

    // --- Event source mappings ----------------------------------------------------------
    const onError = (message: string) => this.log(`[local] ${message}`);
    const queueByArn = new Map([...queueInfo.values()].map((queue) => [queue.arn, queue]));
    const priorityOfFunction = new Map<LocalFunction, string>();
    for (const local of functions.values()) {
      const priority = local.spec.environment.WORKER_PRIORITY;
      if (priority) priorityOfFunction.set(local, priority);
    }
    const queuesByPriority: Record<string, { url: string; dlqUrl: string }> = {};
    const transitions: TransitionLine[] = [];
    const sqsSources: SqsEventSource[] = [];
    const streamSources: StreamEventSource[] = [];
    let observedStream = false;
    for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const properties = resolve(mapping.Properties ?? {}, bindings);
      const target = functionOf(properties.FunctionName);
      const sourceArn = String(properties.EventSourceArn);
      const queue = queueByArn.get(sourceArn);
      if (queue) {
        const control = {
          uuid: mappingUuid(id),
          functionArn: functionArn(target.name),
          eventSourceArn: queue.arn,
          enabled: properties.Enabled !== false,
          batchSize: Number(properties.BatchSize ?? 10),
          batchingWindowSeconds: Number(properties.MaximumBatchingWindowInSeconds ?? 0),
          maxConcurrency: properties.ScalingConfig?.MaximumConcurrency,
        };
        awsEndpoints.addMapping(control);
        const source = new SqsEventSource(
          {
            queueUrl: queue.url,
            queueArn: queue.arn,
            batchSize: control.batchSize,
            batchingWindowSeconds: control.batchingWindowSeconds,
            maxConcurrency: Number(properties.ScalingConfig?.MaximumConcurrency ?? 20),
            reportBatchItemFailures: (properties.FunctionResponseTypes ?? []).includes(
              'ReportBatchItemFailures',
            ),
          },
          control,
          target,
          eventSourceSqs,
          REGION,
          onError,
        );
        sqsSources.push(source);
        const priority = priorityOfFunction.get(target);
        if (priority) {
          const redrive = queueEntries.find(([queueId]) => queueInfo.get(queueId)?.arn === queue.arn)?.[1]
            ?.Properties?.RedrivePolicy;
          const dlqArn = redrive ? String(resolve(redrive.deadLetterTargetArn, bindings)) : undefined;
          queuesByPriority[priority] = {
            url: queue.url,
            dlqUrl: (dlqArn && queueByArn.get(dlqArn)?.url) || '',
          };
        }
        continue;
      }
      const onFailureArn = properties.DestinationConfig?.OnFailure?.Destination;
      const observe = observedStream ? undefined : (record: any) => this.logTransition(record, transitions);
      observedStream = true;
      streamSources.push(
        new StreamEventSource(
          {
            streamArn: sourceArn,
            batchSize: Number(properties.BatchSize ?? 100),
            startingPosition: properties.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
            filters: properties.FilterCriteria?.Filters,
            maximumRetryAttempts: Number(properties.MaximumRetryAttempts ?? 10),
            bisectBatchOnFunctionError: properties.BisectBatchOnFunctionError === true,
            reportBatchItemFailures: (properties.FunctionResponseTypes ?? []).includes(
              'ReportBatchItemFailures',
            ),
            onFailureQueueUrl: onFailureArn ? queueByArn.get(String(onFailureArn))?.url : undefined,
            functionArn: functionArn(target.name),
            parallelizationFactor: Number(properties.ParallelizationFactor ?? 1),
          },
          target,
          streams,
          sqs,
          REGION,
          onError,
          observe,
        ),
      );
    }

    // --- Gateways, issuer, dashboard, schedules -----------------------------------------
    const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
    const routesOf = (apiId: string) =>
      resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
        .filter(([, route]) => route.Properties?.ApiId?.Ref === apiId)
        .map(([, route]) => resolve(route.Properties, bindings));
    const integrationTarget = (target: string): LocalFunction => {
      const integrationId = target.replace(/^integrations\//, '');
      const integration = resources[integrationId];
      return functionOf(resolve(integration?.Properties?.IntegrationUri, bindings));
    };
    const servers: Server[] = [];
    const httpApi = apis.find(([, api]) => api.Properties?.ProtocolType === 'HTTP');
    const authorizers = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    const jwtAuthorizer = authorizers.find(
      ([, authorizer]) => authorizer.Properties?.AuthorizerType === 'JWT',
    );
    const jwtConfig = jwtAuthorizer
      ? resolve(jwtAuthorizer[1].Properties?.JwtConfiguration, bindings)
      : undefined;
    const auth: LocalAuth = {
      issuer: jwtConfig ? localize(String(jwtConfig.Issuer)) : issuer,
      audience: String(jwtConfig?.Audience?.[0] ?? 'local-client'),
    };
    writeFileSync(path.join(LOCAL_DIRECTORY, 'auth.json'), `${JSON.stringify(auth, null, 2)}\n`);
    const serverErrors: number[] = [];
    if (httpApi) {
      const cors = httpApi[1].Properties?.CorsConfiguration;
      servers.push(
        await startHttpGateway({
          port: ports.http,
          region: REGION,
          verify: jwtCheck(key.publicJwk, auth.issuer, (jwtConfig?.Audience ?? [auth.audience]).map(String)),
          corsAllowOrigins: cors?.AllowOrigins,
          usage: meter ? this.usage : undefined,
          onServerError: () => {
            serverErrors.push(Date.now());
            if (serverErrors.length > 1000) serverErrors.shift();
          },
          routes: routesOf(httpApi[0]).map((route) => ({
            routeKey: route.RouteKey,
            authorizationType: route.AuthorizationType ?? 'NONE',
            target: integrationTarget(String(route.Target)),
          })),
        }),
      );
    }
    const socketApi = apis.find(([, api]) => api.Properties?.ProtocolType === 'WEBSOCKET');
    let stage = 'live';
    if (socketApi) {
      const stageResource = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage').find(
        ([, candidate]) => candidate.Properties?.ApiId?.Ref === socketApi[0],
      );
      stage = String(stageResource?.[1].Properties?.StageName ?? stage);
      const routes = new Map<string, LocalFunction>();
      let connectAuthorizer: { function: LocalFunction; identitySource: string[] } | undefined;
      for (const route of routesOf(socketApi[0])) {
        routes.set(route.RouteKey, integrationTarget(String(route.Target)));
        if (route.RouteKey === '$connect' && route.AuthorizationType === 'CUSTOM') {
          // Ref of an authorizer resolves to its logical id here.
          const authorizerId = String(route.AuthorizerId);
          const authorizer = resources[authorizerId]
            ? resolve(resources[authorizerId]?.Properties, bindings)
            : undefined;
          if (authorizer) {
            connectAuthorizer = {
              function: functionOf(authorizer.AuthorizerUri),
              identitySource: authorizer.IdentitySource ?? [],
            };
          }
        }
      }
      servers.push(
        await startSocketGateway({
          port: ports.webSocket,
          stage,
          region: REGION,
          routes,
          authorizer: connectAuthorizer,
          usage: meter ? this.usage : undefined,
        }),
      );
    }
    awsEndpoints.serveAlarms(
      new LocalAlarms(
        alarmDefinitions(template, stackName, bindings, REGION, ACCOUNT),
        localMeasure({
          inspectQueue: (name) => fauxqs.inspectQueue(name),
          functionErrorsSince: (name, since) => functions.get(name)?.errorsSince(since),
          serverErrorsSince: (since) => serverErrors.filter((at) => at >= since).length,
          httpApiId: HTTP_API_ID,
        }),
      ),
    );
    servers.push(
      await startDashboard({
        port: ports.dashboard,
        issuerPath: '/issuer',
        publicJwk: key.publicJwk,
        sqs,
        queues: queuesByPriority,
        transitions,
        awsEndpoints,
        httpUrl: `http://127.0.0.1:${ports.http}`,
        webSocketUrl: `ws://127.0.0.1:${ports.webSocket}/${stage}`,
        signToken: (userId, admin) => signToken(key.privateJwk, auth, userId, { admin }),
      }),
    );
    this.stops.push(async () => {
      await Promise.all(servers.map((server) => closeServer(server)));
    });

    const scheduleSpecs: ScheduleSpec[] = [];
    for (const [ruleId, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const properties = resolve(rule.Properties ?? {}, bindings);
      if (!properties.ScheduleExpression || properties.State === 'DISABLED') continue;
      for (const target of properties.Targets ?? []) {
        scheduleSpecs.push({
          ruleId,
          expression: properties.ScheduleExpression,
          target: functionOf(target.Arn),
          input: target.Input,
          inputTransformer: target.InputTransformer,
        });
      }
    }
    const overrides = Object.fromEntries(
      scheduleSpecs.flatMap((spec) =>
        Object.entries(this.options.scheduleIntervalsMs ?? {})
          .filter(([prefix]) => spec.ruleId.startsWith(prefix))
          .map(([, ms]) => [spec.ruleId, ms]),
      ),
    );
    const schedules = new Schedules(scheduleSpecs, REGION, onError, overrides);

    // Start consuming only when everything is wired; stop in the reverse order.
    for (const source of streamSources) source.start();
    for (const source of sqsSources) source.start();
    const skipped = schedules.start();
    if (skipped.length > 0) this.log(`[local] schedules not emulated (cron): ${skipped.join(', ')}`);
    this.stops.push(async () => {
      await schedules.stop();
      await Promise.all(sqsSources.map((source) => source.stop()));
      // Let the outcome writes of drained work reach the stream consumers.
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 500));
      await Promise.all(streamSources.map((source) => source.stop()));
    });

    const tableName = tableNames.values().next().value as string;
    const bucket = resourcesOfType(template, 'AWS::S3::Bucket').find(([id]) => id.startsWith('FilesBucket'));
    this.stack = {
      httpUrl: `http://127.0.0.1:${ports.http}`,
      wsUrl: `ws://127.0.0.1:${ports.webSocket}/${stage}`,
      dashboardUrl: `http://127.0.0.1:${ports.dashboard}/`,
      region: REGION,
      endpoints: { sqs: queuesEndpoint, s3: queuesEndpoint, dynamodb: dynamoEndpoint },
      tableName,
      bucketName: bucketNameOf(bucket?.[0] ?? 'files'),
      queues: queuesByPriority,
    };
    writeFileSync(this.stackFile, `${JSON.stringify(this.stack, null, 2)}\n`);
    return this.stack;
  }

  /** Stops consuming, drains work in flight, ends every environment and service. */
  async stop(): Promise<void> {
    if (this.stack) rmSync(this.stackFile, { force: true });
    for (const stop of this.stops.reverse()) {
      await stop().catch((error: Error) => this.log(`[local] while stopping: ${error.message}`));
    }
    this.stops.length = 0;
  }

  private get stackFile(): string {
    return path.join(LOCAL_DIRECTORY, 'stack.json');
  }

  private required(value: string | undefined, id: string): string {
    if (value === undefined) throw new Error(`Resource ${id} is not available yet in the local cloud`);
    return value;
  }

  private logTransition(record: any, transitions: TransitionLine[]): void {
    const image = record.dynamodb?.NewImage;
    if (!image || image.SK?.S !== 'JOB') return;
    const job = unmarshall(image);
    const before = record.dynamodb?.OldImage ? unmarshall(record.dynamodb.OldImage) : undefined;
    if (before?.status === job.status) return;
    const line: TransitionLine = {
      at: String(job.updatedAt ?? job.createdAt),
      jobId: String(job.jobId),
      type: String(job.type),
      priority: String(job.priority),
      from: before ? String(before.status) : '∅',
      to: String(job.status),
      attempt: Number(job.attempts ?? 0),
      error: job.status === 'retrying' || job.status === 'failed' ? job.error?.code : undefined,
    };
    transitions.push(line);
    if (transitions.length > 500) transitions.shift();
    for (const listener of this.transitionListeners) listener(line);
    this.log(
      `${line.at.slice(11, 23)}  ${line.jobId}  ${line.type.padEnd(16)} ${line.from.padStart(10)} → ${line.to.padEnd(10)} attempt ${line.attempt}${line.error ? `  ${line.error}` : ''}`,
    );
  }
}
