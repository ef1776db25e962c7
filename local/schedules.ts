import { randomUUID } from 'node:crypto';
import type { LocalFunction } from './lambda-host';

export interface ScheduleSpec {
  readonly ruleId: string;
  readonly expression: string;
  readonly target: LocalFunction;
  readonly input?: string;
  readonly inputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Milliseconds between runs of a `rate(...)` expression; undefined for cron (not emulated). */
export const rateMs = (expression: string): number | undefined => {
  const match = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
};

/** Reads `$.a.b` from the event. */
const readPath = (event: Record<string, unknown>, jsonPath: string): unknown =>
  jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], event);

/** EventBridge's input transformer: `<name>` placeholders become the JSON of the mapped values. */
export const transformInput = (
  transformer: NonNullable<ScheduleSpec['inputTransformer']>,
  event: Record<string, unknown>,
): unknown => {
  const values = Object.fromEntries(
    Object.entries(transformer.InputPathsMap ?? {}).map(([name, jsonPath]) => [
      name,
      readPath(event, jsonPath),
    ]),
  );
  const text = transformer.InputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (placeholder, name: string) =>
    name in values ? JSON.stringify(values[name]) : placeholder,
  );
  return JSON.parse(text);
};

/**
 * EventBridge schedule rules as timers: every `rate(...)`, the target function gets the
 * Scheduled Event (or the rule's Input / InputTransformer output). `intervalOverrideMs`
 * lets a test run the same rules more often.
 */
export class Schedules {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly specs: readonly ScheduleSpec[],
    private readonly region: string,
    private readonly onError: (message: string) => void,
    private readonly intervalOverrideMs: Readonly<Record<string, number>> = {},
  ) {}

  start(): string[] {
    const skipped: string[] = [];
    for (const spec of this.specs) {
      const every = this.intervalOverrideMs[spec.ruleId] ?? rateMs(spec.expression);
      if (!every) {
        skipped.push(`${spec.ruleId} (${spec.expression})`);
        continue;
      }
      this.timers.push(setInterval(() => this.fire(spec), every));
    }
    return skipped;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }

  fire(spec: ScheduleSpec): Promise<unknown> {
    const event: Record<string, unknown> = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:000000000000:rule/${spec.ruleId}`],
      detail: {},
    };
    const payload = spec.inputTransformer
      ? transformInput(spec.inputTransformer, event)
      : spec.input
        ? JSON.parse(spec.input)
        : event;
    const run = spec.target
      .invoke(payload)
      .catch((error: Error) => this.onError(`${spec.ruleId}: ${error.message}`));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }
}
