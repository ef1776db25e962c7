import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import { ConfigurationError } from '../validation';

/** The model the ai.* jobs ask for unless `jobqueue:aiModel` names another. */
export const DEFAULT_AI_MODEL = 'gpt-4o-mini';

export interface AiProviderProps {
  /**
   * Base URL of an OpenAI-compatible API (`https://…/v1`; the jobs POST to
   * `{endpoint}/chat/completions`). https only, no credentials, query or fragment.
   * @default none: the ai.* jobs fail at once with AI_NOT_CONFIGURED
   */
  readonly endpoint?: string;
  /** @default DEFAULT_AI_MODEL */
  readonly model?: string;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/;

/**
 * The stack's AI provider: where the ai.* jobs send chat completions, which model they ask
 * for, and the Secrets Manager secret holding the API key. The secret is created with a
 * placeholder value; the operator puts the real key in it (README "AI jobs"). Only the
 * functions that run jobs may read it (`grantRead`). Without an endpoint there is no secret
 * (it would cost $0.40 a month for nothing: the jobs fail with AI_NOT_CONFIGURED anyway).
 */
export class AiProvider extends Construct {
  /** The API key's secret. @default none when no endpoint is configured */
  readonly secret?: secretsmanager.Secret;
  /** What a function that runs ai.* jobs needs in its environment. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AiProviderProps = {}) {
    super(scope, id);
    const endpoint = props.endpoint === undefined ? '' : requireHttpsEndpoint(this, props.endpoint);
    const model = props.model ?? DEFAULT_AI_MODEL;
    if (typeof model !== 'string' || !MODEL_NAME.test(model)) {
      throw new ConfigurationError(
        this,
        `aiModel must be a model name such as ${DEFAULT_AI_MODEL}, got ${JSON.stringify(model)}`,
      );
    }
    this.environment = { [ENV.aiEndpoint]: endpoint, [ENV.aiModel]: model };
    if (endpoint === '') return;
    this.secret = new secretsmanager.Secret(this, 'ApiKey', {
      description:
        'API key of the OpenAI-compatible endpoint the jobqueue ai.* jobs call (replace the generated placeholder with the real key)',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    this.environment = { ...this.environment, [ENV.aiApiKeySecretArn]: this.secret.secretArn };
    NagSuppressions.addResourceSuppressions(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The key is issued by the AI provider, not by AWS: it is rotated at the provider and put here by the operator (no rotation Lambda can create one).',
      },
    ]);
  }

  /** Lets `grantee` read the key's value, and nothing else (not even DescribeSecret); without a secret, nothing. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    if (!this.secret) return iam.Grant.drop(grantee, 'read the AI key (no AI endpoint, so no key)');
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secret.secretArn],
    });
  }
}

const requireHttpsEndpoint = (scope: Construct, value: unknown): string => {
  const fail = (why: string): never => {
    throw new ConfigurationError(
      scope,
      `aiEndpoint must be the https base URL of an OpenAI-compatible API such as https://api.openai.com/v1 (${why}), got ${JSON.stringify(value)}`,
    );
  };
  if (typeof value !== 'string') return fail('not a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'https:') fail('https only');
  if (url.username || url.password) fail('no credentials in the URL: the key belongs in the secret');
  if (url.search || url.hash) fail('no query or fragment');
  return value.replace(/\/+$/, '');
};
