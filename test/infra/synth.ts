import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { JobQueueStack, type JobQueueStackProps } from '../../lib/job-queue-stack';

export interface Synthesized {
  readonly stack: Stack;
  readonly template: Template;
}

/** Synthesizes the stack as `cdk synth` does (cdk-nag included), without bundling the functions. */
export const synth = (props: JobQueueStackProps = {}, context: Record<string, unknown> = {}): Synthesized => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new JobQueueStack(app, 'JobQueue', props);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  const template = Template.fromStack(stack);
  return { stack, template };
};

/** cdk-nag findings that were not suppressed. */
export const nagFindings = (stack: Stack, level: 'error' | 'warning') => {
  const annotations = Annotations.fromStack(stack);
  const pattern = Match.stringLikeRegexp('AwsSolutions-.*');
  return level === 'error' ? annotations.findError('*', pattern) : annotations.findWarning('*', pattern);
};

/** Logical id of the only resource of `type` whose id matches `pattern`. */
export const logicalId = (template: Template, type: string, pattern: RegExp): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1)
    throw new Error(`Expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
