import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ContextError, stackPropsFromContext } from '../../lib/app-context';
import { logicalId, nagFindings, synth } from './synth';

// A stack with an endpoint (the secret exists only then); the default stack is checked below.
const { stack, template } = synth({ aiEndpoint: 'https://api.example.com/v1' });
const resources = template.toJSON().Resources as Record<string, any>;
const secret = logicalId(template, 'AWS::SecretsManager::Secret', /^AiApiKey/);
const apiFunction = logicalId(template, 'AWS::Lambda::Function', /^ApiHandler[0-9A-F]{8}$/);
const workerFunctions = ['Critical', 'High', 'Normal', 'Low'].map((name) =>
  logicalId(template, 'AWS::Lambda::Function', new RegExp(`^Workers${name}Worker[0-9A-F]{8}$`)),
);

/** Logical ids of the functions whose role may do anything with the AI key secret. */
const readersOfSecret = (): string[] => {
  const roles = new Set(
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        policy.Properties.PolicyDocument.Statement.some((statement: any) =>
          [statement.Resource].flat().some((resource: any) => resource?.Ref === secret),
        ),
      )
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref)),
  );
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .filter(([, resource]) => roles.has(resource.Properties.Role?.['Fn::GetAtt']?.[0]))
    .map(([id]) => id)
    .sort();
};

describe('the AI provider', () => {
  test('one secret holds the API key, created with a placeholder the operator replaces', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('OpenAI-compatible endpoint'),
      GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true },
    });
    expect(resources[secret].Properties.SecretString).toBeUndefined();
    template.hasOutput('AiApiKeySecretArn', { Value: { Ref: secret } });
  });

  test('only the workers may read it, with GetSecretValue on this secret alone', () => {
    expect(readersOfSecret()).toEqual([...workerFunctions].sort());
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: any) =>
        [statement.Resource].flat().some((resource: any) => resource?.Ref === secret),
      );
    expect(statements).toHaveLength(workerFunctions.length);
    for (const statement of statements) {
      expect(statement).toEqual({
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: secret },
      });
    }
  });

  test('without an endpoint (the default) there is no secret, no output and no key ARN: the jobs fail AI_NOT_CONFIGURED', () => {
    const plain = synth().template;
    expect(
      Object.keys(plain.findResources('AWS::SecretsManager::Secret')).filter((id) => /^AiApiKey/.test(id)),
    ).toEqual([]);
    expect(Object.keys(plain.findOutputs('AiApiKeySecretArn'))).toEqual([]);
    const plainResources = plain.toJSON().Resources as Record<string, any>;
    const worker = logicalId(plain, 'AWS::Lambda::Function', /^WorkersNormalWorker[0-9A-F]{8}$/);
    expect(plainResources[worker].Properties.Environment.Variables).toMatchObject({
      AI_ENDPOINT: '',
      AI_MODEL: 'gpt-4o-mini',
    });
    expect(plainResources[worker].Properties.Environment.Variables.AI_API_KEY_SECRET_ARN).toBeUndefined();
  });

  test('every worker gets the endpoint, the default model and the secret ARN', () => {
    for (const fn of workerFunctions) {
      const variables = resources[fn].Properties.Environment.Variables;
      expect({
        fn,
        endpoint: variables.AI_ENDPOINT,
        model: variables.AI_MODEL,
        arn: variables.AI_API_KEY_SECRET_ARN,
      }).toEqual({
        fn,
        endpoint: 'https://api.example.com/v1',
        model: 'gpt-4o-mini',
        arn: { Ref: secret },
      });
    }
  });

  test('the API function gets the daily token budget (100000 by default) and nothing of the key', () => {
    const variables = resources[apiFunction].Properties.Environment.Variables;
    expect(variables.AI_DAILY_TOKENS).toBe('100000');
    expect(variables.AI_API_KEY_SECRET_ARN).toBeUndefined();
    for (const fn of workerFunctions)
      expect(resources[fn].Properties.Environment.Variables.AI_DAILY_TOKENS).toBeUndefined();
  });

  test('a configured endpoint, model and budget reach the functions (trailing slash trimmed)', () => {
    const configured = synth({
      aiEndpoint: 'https://api.openai.com/v1/',
      aiModel: 'gpt-4.1',
      aiDailyTokens: 5000,
    });
    const configuredResources = configured.template.toJSON().Resources as Record<string, any>;
    const worker = logicalId(
      configured.template,
      'AWS::Lambda::Function',
      /^WorkersNormalWorker[0-9A-F]{8}$/,
    );
    const api = logicalId(configured.template, 'AWS::Lambda::Function', /^ApiHandler[0-9A-F]{8}$/);
    expect(configuredResources[worker].Properties.Environment.Variables).toMatchObject({
      AI_ENDPOINT: 'https://api.openai.com/v1',
      AI_MODEL: 'gpt-4.1',
    });
    expect(configuredResources[api].Properties.Environment.Variables.AI_DAILY_TOKENS).toBe('5000');
  });

  test.each([
    ['http', { aiEndpoint: 'http://api.openai.com/v1' }, 'https only'],
    ['not a URL', { aiEndpoint: 'api.openai.com' }, 'not a URL'],
    ['credentials in the URL', { aiEndpoint: 'https://user:sk-123@api.example.com/v1' }, 'no credentials'],
    ['a query', { aiEndpoint: 'https://api.example.com/v1?key=1' }, 'no query'],
    ['a model name with spaces', { aiModel: 'gpt 4' }, 'aiModel must be a model name'],
    ['a zero budget', { aiDailyTokens: 0 }, 'aiDailyTokens must be an integer from 1 to 1000000000'],
    ['a fractional budget', { aiDailyTokens: 1.5 }, 'aiDailyTokens must be an integer'],
  ])('%s fails synth with a ConfigurationError naming the setting', (_case, props, message) => {
    expect(() => synth(props)).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: expect.stringContaining(message) }),
    );
  });

  test('cdk-nag finds nothing unsuppressed (the key rotates at the provider: SMG4 suppressed with that reason)', () => {
    expect(nagFindings(stack, 'error')).toEqual([]);
  });
});

describe('context keys', () => {
  const propsOf = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

  test('jobqueue:aiEndpoint, aiModel and aiDailyTokens become stack props; an empty endpoint is none', () => {
    expect(
      propsOf({
        'jobqueue:aiEndpoint': 'https://ai.example.com/v1',
        'jobqueue:aiModel': 'm-1',
        'jobqueue:aiDailyTokens': '2500',
      }),
    ).toMatchObject({ aiEndpoint: 'https://ai.example.com/v1', aiModel: 'm-1', aiDailyTokens: 2500 });
    expect(propsOf({ 'jobqueue:aiEndpoint': '' }).aiEndpoint).toBeUndefined();
  });

  test.each([
    ['jobqueue:aiEndpoint', 42],
    ['jobqueue:aiModel', ['a']],
    ['jobqueue:aiDailyTokens', 'lots'],
  ])('%s of the wrong type is a ContextError', (key, value) => {
    expect(() => propsOf({ [key]: value })).toThrow(ContextError);
  });
});
