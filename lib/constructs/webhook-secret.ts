import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';

export interface WebhookSecretProps {
  /** @default 48 */
  readonly length?: number;
  /**
   * Lets data.sync reach loopback addresses (127/8, ::1, localhost), for a local cloud
   * whose receivers listen on 127.0.0.1. Never link-local or other non-public ranges.
   * @default false
   */
  readonly allowLoopback?: boolean;
}

/**
 * The stack secret behind data.sync webhook signatures and the delivery address policy.
 * Each user signs with HMAC-SHA256(this secret, `data.sync:<userId>`), derived where it is
 * needed (the API hands it to its owner, the workers sign with it) and never stored.
 */
export class WebhookSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  /** What a function that signs deliveries or checks webhook URLs needs in its environment. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: WebhookSecretProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Derives the per-user keys that sign jobqueue data.sync webhook deliveries (HMAC-SHA256)',
      generateSecretString: { passwordLength: props.length ?? 48, excludePunctuation: true },
    });
    this.environment = {
      [ENV.webhookSecretArn]: this.secret.secretArn,
      [ENV.webhookAllowLoopback]: String(props.allowLoopback ?? false),
    };
    NagSuppressions.addResourceSuppressions(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the webhook key changes every user secret derived from it, so receivers must accept both for a while; rotation is an operator procedure, not automatic.',
      },
    ]);
  }

  /** Lets `grantee` read the secret's value, and nothing else (not even DescribeSecret). */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secret.secretArn],
    });
  }
}
