import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './net';
import { type Bindings, resolve, resourcesOfType, type Template } from './template';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** An `AWS::CloudWatch::Alarm` of the template, resolved and named as CloudFormation names it. */
export interface AlarmDefinition {
  readonly name: string;
  readonly arn: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly treatMissingData: string;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
}

/**
 * What the local cloud measures of a metric over its period, right now. `undefined`: it
 * cannot measure that metric at all (the alarm then stays INSUFFICIENT_DATA, saying so).
 */
export type Measure = (alarm: AlarmDefinition) => number | undefined;

/** CloudFormation's random suffix, here stable per logical id so a name survives restarts. */
const suffixOf = (logicalId: string) =>
  createHash('sha256').update(logicalId).digest('hex').slice(0, 12).toUpperCase();

/** The template's alarms as a deployed stack would have them. */
export const alarmDefinitions = (
  template: Template,
  stackName: string,
  bindings: Bindings,
  region: string,
  account: string,
): AlarmDefinition[] =>
  resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([logicalId, resource]) => {
    const properties = resolve(resource.Properties ?? {}, bindings);
    const name = String(properties.AlarmName ?? `${stackName}-${logicalId}-${suffixOf(logicalId)}`);
    return {
      name,
      arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
      description: String(properties.AlarmDescription ?? ''),
      namespace: String(properties.Namespace ?? ''),
      metricName: String(properties.MetricName ?? ''),
      dimensions: Object.fromEntries(
        ((properties.Dimensions ?? []) as { Name: string; Value: unknown }[]).map((dimension) => [
          dimension.Name,
          String(dimension.Value),
        ]),
      ),
      statistic: String(properties.Statistic ?? 'Average'),
      periodSeconds: Number(properties.Period ?? 60),
      evaluationPeriods: Number(properties.EvaluationPeriods ?? 1),
      threshold: Number(properties.Threshold ?? 0),
      comparison: String(properties.ComparisonOperator ?? 'GreaterThanThreshold'),
      treatMissingData: String(properties.TreatMissingData ?? 'missing'),
      alarmActions: ((properties.AlarmActions ?? []) as unknown[]).map(String),
      okActions: ((properties.OKActions ?? []) as unknown[]).map(String),
    };
  });

const COMPARISONS: Record<
  string,
  { breaches: (value: number, threshold: number) => boolean; words: string }
> = {
  GreaterThanThreshold: { breaches: (value, threshold) => value > threshold, words: 'greater than' },
  GreaterThanOrEqualToThreshold: {
    breaches: (value, threshold) => value >= threshold,
    words: 'greater than or equal to',
  },
  LessThanThreshold: { breaches: (value, threshold) => value < threshold, words: 'less than' },
  LessThanOrEqualToThreshold: {
    breaches: (value, threshold) => value <= threshold,
    words: 'less than or equal to',
  },
};

export const NOT_MEASURED = 'not measured by the local cloud';

/** The state an alarm is in for one measurement, and why, in the manner of CloudWatch's reasons. */
export const evaluateAlarm = (
  alarm: AlarmDefinition,
  value: number | undefined,
): { state: AlarmState; reason: string } => {
  const metric = `${alarm.namespace} ${alarm.metricName}`;
  if (value === undefined) return { state: 'INSUFFICIENT_DATA', reason: `${metric} is ${NOT_MEASURED}.` };
  const comparison = COMPARISONS[alarm.comparison];
  if (!comparison) {
    return {
      state: 'INSUFFICIENT_DATA',
      reason: `The comparison ${alarm.comparison} is ${NOT_MEASURED}.`,
    };
  }
  const window = `${alarm.statistic} over the last ${alarm.periodSeconds} s`;
  return comparison.breaches(value, alarm.threshold)
    ? {
        state: 'ALARM',
        reason: `Threshold crossed: ${metric} (${window}) was ${value}, ${comparison.words} the threshold (${alarm.threshold}).`,
      }
    : {
        state: 'OK',
        reason: `${metric} (${window}) was ${value}, not ${comparison.words} the threshold (${alarm.threshold}).`,
      };
};

interface Held {
  state: AlarmState;
  reason: string;
  since: Date;
}

interface DescribeAlarmsInput {
  AlarmNames?: unknown;
  AlarmNamePrefix?: unknown;
  StateValue?: unknown;
  AlarmTypes?: unknown;
}

/**
 * CloudWatch's DescribeAlarms for the template's alarms (AWS JSON 1.0, target
 * `GraniteServiceVersion20100801.DescribeAlarms`), served on the dashboard port. Each call
 * measures every alarm's metric again (all in memory, cheap) and keeps, as CloudWatch does,
 * when each state began. Alarms start INSUFFICIENT_DATA, as a new alarm does.
 */
export class LocalAlarms {
  private readonly held = new Map<string, Held>();

  constructor(
    readonly definitions: readonly AlarmDefinition[],
    private readonly measure: Measure,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const started = clock();
    for (const alarm of definitions) {
      this.held.set(alarm.name, {
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        since: started,
      });
    }
  }

  /** Evaluates every alarm now; a changed state starts its `since` now. */
  evaluate(): void {
    const now = this.clock();
    for (const alarm of this.definitions) {
      let value: number | undefined;
      try {
        value = this.measure(alarm);
      } catch {
        value = undefined;
      }
      const next = evaluateAlarm(alarm, value);
      const held = this.held.get(alarm.name) as Held;
      if (next.state !== held.state) held.since = now;
      held.state = next.state;
      held.reason = next.reason;
    }
  }

  /** DescribeAlarms' answer for these filters (metric alarms only; the stack has no composite ones). */
  describe(input: DescribeAlarmsInput) {
    this.evaluate();
    const names = Array.isArray(input.AlarmNames) ? new Set(input.AlarmNames.map(String)) : undefined;
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : '';
    const wantsMetricAlarms = !Array.isArray(input.AlarmTypes) || input.AlarmTypes.includes('MetricAlarm');
    const alarms = this.definitions.filter((alarm) => {
      const held = this.held.get(alarm.name) as Held;
      return (
        wantsMetricAlarms &&
        (!names || names.has(alarm.name)) &&
        alarm.name.startsWith(prefix) &&
        (input.StateValue === undefined || input.StateValue === held.state)
      );
    });
    return {
      MetricAlarms: alarms.map((alarm) => {
        const held = this.held.get(alarm.name) as Held;
        return {
          AlarmName: alarm.name,
          AlarmArn: alarm.arn,
          AlarmDescription: alarm.description,
          ActionsEnabled: true,
          AlarmActions: alarm.alarmActions,
          OKActions: alarm.okActions,
          InsufficientDataActions: [],
          StateValue: held.state,
          StateReason: held.reason,
          StateUpdatedTimestamp: held.since.getTime() / 1000,
          StateTransitionedTimestamp: held.since.getTime() / 1000,
          MetricName: alarm.metricName,
          Namespace: alarm.namespace,
          Statistic: alarm.statistic,
          Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
          Period: alarm.periodSeconds,
          EvaluationPeriods: alarm.evaluationPeriods,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
        };
      }),
      CompositeAlarms: [],
    };
  }

  /** Handles the request if it is a CloudWatch call; false otherwise. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!target.startsWith('GraniteServiceVersion20100801.')) return false;
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(body));
    };
    if (target !== 'GraniteServiceVersion20100801.DescribeAlarms') {
      reply(400, {
        __type: 'com.amazonaws.cloudwatch#InvalidAction',
        message: `${target} is not served locally`,
      });
      return true;
    }
    let input: DescribeAlarmsInput;
    try {
      const text = (await readBody(request, 64 * 1024)).toString('utf8');
      input = text.trim() === '' ? {} : (JSON.parse(text) as DescribeAlarmsInput);
    } catch {
      reply(400, {
        __type: 'com.amazonaws.cloudwatch#InvalidParameterValue',
        message: 'Malformed request body',
      });
      return true;
    }
    reply(200, this.describe(input ?? {}));
    return true;
  }
}

/** Where the local cloud's measurements come from. */
export interface LocalMetricSources {
  /** Non-destructive look at a queue by name (fauxqs' `inspectQueue`). */
  inspectQueue(name: string):
    | {
        messages: {
          ready: readonly { sentTimestamp: number }[];
          inflight: readonly { message: { sentTimestamp: number } }[];
        };
      }
    | undefined;
  /** Failed invocations of a function (by its logical id) since a time, if the function exists. */
  functionErrorsSince(functionName: string, sinceMs: number): number | undefined;
  /** HTTP API answers of 500 or more since a time. */
  serverErrorsSince(sinceMs: number): number;
  /** The HTTP API's id as the template's `Ref` resolves it locally. */
  readonly httpApiId: string;
}

/**
 * The metrics the local cloud can honestly measure: a queue's visible messages and its
 * oldest message's age, a function's errors and the HTTP API's 5xx over the alarm's period.
 * Anything else (throttles: the local host queues instead; stream iterator age; messages
 * sent) is not measured.
 */
export const localMeasure =
  (sources: LocalMetricSources, now: () => number = Date.now): Measure =>
  (alarm) => {
    const since = now() - alarm.periodSeconds * 1000;
    if (alarm.namespace === 'AWS/SQS' && alarm.dimensions.QueueName) {
      const queue = sources.inspectQueue(alarm.dimensions.QueueName);
      if (!queue) return undefined;
      if (alarm.metricName === 'ApproximateNumberOfMessagesVisible') return queue.messages.ready.length;
      if (alarm.metricName === 'ApproximateAgeOfOldestMessage') {
        const sent = [
          ...queue.messages.ready.map((message) => message.sentTimestamp),
          ...queue.messages.inflight.map((entry) => entry.message.sentTimestamp),
        ];
        return sent.length === 0 ? 0 : Math.floor((now() - Math.min(...sent)) / 1000);
      }
      return undefined;
    }
    if (alarm.namespace === 'AWS/Lambda' && alarm.metricName === 'Errors' && alarm.dimensions.FunctionName)
      return sources.functionErrorsSince(alarm.dimensions.FunctionName, since);
    if (
      alarm.namespace === 'AWS/ApiGateway' &&
      alarm.metricName === '5xx' &&
      alarm.dimensions.ApiId === sources.httpApiId
    )
      return sources.serverErrorsSince(since);
    return undefined;
  };
