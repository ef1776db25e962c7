import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { UsageLedger } from './usage-ledger';

const RUNTIME = new URL('./lambda-runtime.mjs', import.meta.url);

export interface FunctionSpec {
  readonly logicalId: string;
  /** Source file of the handler, absolute. */
  readonly entry: string;
  readonly handlerName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
}

/** Why an invocation failed, as Lambda reports it to an event source. */
export class InvocationError extends Error {
  constructor(
    message: string,
    readonly kind: 'handler' | 'timeout' | 'crash' | 'init',
  ) {
    super(message);
  }
}

interface Environment {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  busy?: { id: string; resolve: (value: unknown) => void; reject: (error: Error) => void };
  dead: boolean;
}

/**
 * A function of the template run locally, as Lambda runs it: each execution environment
 * (a worker thread) serves one invocation at a time, environments are reused while warm,
 * a timeout or a crash (`process.exit`, an uncaught error, out of memory) ends the
 * environment and fails only its invocation, and the next invocation cold-starts a new one.
 */
/**
 * Execution environments one function may run at once on this machine; further
 * invocations wait for one to come free, as under a Lambda concurrency limit. Each
 * environment is a thread with its own module graph: fifty cold starts at once would
 * take a 2-core machine minutes. `JOBQUEUE_MAX_ENVIRONMENTS` changes it.
 */
const MAX_ENVIRONMENTS = Number(process.env.JOBQUEUE_MAX_ENVIRONMENTS) || 10;

export class LocalFunction {
  private readonly idle: Environment[] = [];
  /** Invocations waiting for an environment to come free, first come first served. */
  private readonly waiting: ((environment: Environment) => void)[] = [];
  private readonly all = new Set<Environment>();
  private readonly log: WriteStream;
  private inFlight = 0;
  /** When recent invocations failed (handler error, timeout, crash): Lambda's `Errors` metric. */
  private readonly failures: number[] = [];
  private drained: (() => void) | undefined;
  private closing = false;

  constructor(
    readonly spec: FunctionSpec,
    logDirectory: string,
    /** Books invocations, their duration and log bytes (`npm run bench`). */
    private readonly usage?: UsageLedger,
  ) {
    mkdirSync(logDirectory, { recursive: true });
    this.log = createWriteStream(path.join(logDirectory, `${spec.logicalId}.log`), { flags: 'a' });
  }

  get name(): string {
    return this.spec.logicalId;
  }

  /** Invocations that failed since `sinceMs` (the local alarms' measure of `Errors`). */
  errorsSince(sinceMs: number): number {
    return this.failures.filter((at) => at >= sinceMs).length;
  }

  async invoke(event: unknown): Promise<unknown> {
    if (this.closing) throw new InvocationError('The local cloud is stopping', 'crash');
    this.inFlight += 1;
    try {
      const environment = await this.acquire();
      await environment.ready;
      return await this.run(environment, event);
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  private acquire(): Promise<Environment> | Environment {
    const warm = this.idle.pop();
    if (warm) return warm;
    if (this.all.size < MAX_ENVIRONMENTS) return this.start();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** An environment is free again (or one ended): hand it, or a fresh one, to the next waiter. */
  private release(environment: Environment | undefined): void {
    const next = this.waiting.shift();
    if (!next) {
      if (environment) this.idle.push(environment);
      return;
    }
    next(environment ?? this.start());
  }

  /** Waits for invocations in flight (at most `timeoutMs`), then ends every environment. */
  async stop(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.drained = resolve;
        }),
        new Promise((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
    }
    await Promise.all([...this.all].map((environment) => environment.worker.terminate()));
    await new Promise((resolve) => this.log.end(resolve));
  }

  private start(): Environment {
    const worker = new Worker(RUNTIME, {
      workerData: {
        entry: this.spec.entry,
        handlerName: this.spec.handlerName,
        functionName: this.spec.logicalId,
        memorySize: this.spec.memorySize,
      },
      env: { ...this.spec.environment },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.spec.memorySize },
    });
    // Many environments share one log file: write chunks rather than pipe (no listener pile-up).
    const write = (chunk: Buffer) => {
      this.log.write(chunk);
      this.usage?.add(this.spec.logicalId, 'logs', 'PutLogEvents', { bytes: chunk.length });
    };
    worker.stdout.on('data', write);
    worker.stderr.on('data', write);
    let markReady: () => void = () => {};
    let failInit: (error: Error) => void = () => {};
    const environment: Environment = {
      worker,
      dead: false,
      ready: new Promise<void>((resolve, reject) => {
        markReady = resolve;
        failInit = reject;
      }),
    };
    environment.ready.catch(() => {});
    this.all.add(environment);
    const end = (reason: string) => {
      if (environment.dead) return;
      environment.dead = true;
      this.all.delete(environment);
      const index = this.idle.indexOf(environment);
      if (index >= 0) this.idle.splice(index, 1);
      failInit(new InvocationError(reason, 'init'));
      const busy = environment.busy;
      environment.busy = undefined;
      // A busy environment frees its slot when its invocation fails; an idle or starting one now.
      if (busy) busy.reject(new InvocationError(reason, 'crash'));
      else if (!this.closing) this.release(undefined);
    };
    worker.on('message', (message: any) => {
      if (message.kind === 'ready') return markReady();
      if (message.kind === 'init-error') {
        this.log.write(`INIT ERROR ${message.error.message}\n`);
        failInit(new InvocationError(`Init error: ${message.error.message}`, 'init'));
        void worker.terminate();
        return;
      }
      const busy = environment.busy;
      if (!busy || busy.id !== message.id) return;
      environment.busy = undefined;
      if (message.kind === 'result') busy.resolve(message.result);
      else busy.reject(new InvocationError(`${message.error.name}: ${message.error.message}`, 'handler'));
    });
    worker.on('error', (error) => {
      this.log.write(`CRASH ${error.stack ?? error}\n`);
      end(`Runtime.ExitError: ${error.message}`);
    });
    worker.on('exit', (code) => end(`Runtime.ExitError: the environment exited with code ${code}`));
    return environment;
  }

  private run(environment: Environment, event: unknown): Promise<unknown> {
    const id = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const started = performance.now();
    const book = () =>
      this.usage?.add(this.spec.logicalId, 'lambda', 'Invoke', {
        requests: 1,
        durationMs: Math.max(1, Math.ceil(performance.now() - started)),
      });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Lambda stops a timed-out environment; its next invocation starts cold.
        environment.dead = true;
        this.all.delete(environment);
        const busy = environment.busy;
        environment.busy = undefined;
        busy?.reject(
          new InvocationError(`Task timed out after ${this.spec.timeoutSeconds} seconds`, 'timeout'),
        );
        void environment.worker.terminate();
      }, timeoutMs);
      environment.busy = {
        id,
        resolve: (value) => {
          clearTimeout(timer);
          book();
          if (!this.closing) this.release(environment.dead ? undefined : environment);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          book();
          this.failures.push(Date.now());
          if (this.failures.length > 1000) this.failures.shift();
          // A handler error keeps the environment warm; a crash or timeout has ended it.
          if (!this.closing) this.release(environment.dead ? undefined : environment);
          reject(error);
        },
      };
      environment.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs });
    });
  }
}
