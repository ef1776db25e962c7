import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../lib/app-context';
import { JobQueueStack } from '../lib/job-queue-stack';

const app = new App();
const { nag, ...props } = stackPropsFromContext(app.node);
new JobQueueStack(app, 'JobQueue', {
  ...props,
  description: 'jobqueue: serverless, priority-aware job queue',
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
});
if (nag) Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
