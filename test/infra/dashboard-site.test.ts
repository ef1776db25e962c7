import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { stackPropsFromContext } from '../../lib/app-context';
import { logicalId, synth } from './synth';

const { stack, template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const bucket = logicalId(template, 'AWS::S3::Bucket', /^DashboardSiteBucket/);
const distribution = logicalId(template, 'AWS::CloudFront::Distribution', /^DashboardSiteDistribution/);
const deployment = () =>
  Object.values(resources).find((resource) => resource.Type === 'Custom::CDKBucketDeployment')?.Properties;

/** The `config.json` the deployment writes, as staged in the cloud assembly (markers for tokens). */
const stagedConfig = (synthesized: Stack): { text: string; markers: Record<string, unknown> } => {
  const directory = (synthesized.node.root as App).synth().directory;
  const folder = readdirSync(directory)
    .map((name) => path.join(directory, name))
    .find((candidate) => existsSync(path.join(candidate, 'config.json')));
  if (!folder) throw new Error('no staged config.json asset');
  const properties = Object.values(
    Template.fromStack(synthesized).toJSON().Resources as Record<string, any>,
  ).find((resource) => resource.Type === 'Custom::CDKBucketDeployment')?.Properties;
  const index = (properties.SourceObjectKeys as string[]).findIndex((key) =>
    key.startsWith(path.basename(folder).replace(/^asset\./, '')),
  );
  return {
    text: readFileSync(path.join(folder, 'config.json'), 'utf8'),
    markers: properties.SourceMarkers[index],
  };
};

describe('dashboard site bucket', () => {
  test('is private, encrypted and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    expect(resources[bucket]?.Properties.BucketEncryption).toBeDefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('lets only this distribution read objects, through origin access control', () => {
    const policy = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::S3::BucketPolicy' && resource.Properties.Bucket.Ref === bucket,
    );
    const readers = ((policy?.Properties.PolicyDocument.Statement ?? []) as any[]).filter(
      (statement) => statement.Effect === 'Allow' && [statement.Action].flat().includes('s3:GetObject'),
    );
    expect(readers).toHaveLength(1);
    expect(readers[0].Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(JSON.stringify(readers[0].Condition.StringEquals['AWS:SourceArn'])).toContain(
      `{"Ref":"${distribution}"}`,
    );
    // The only other grant is CDK's emptying of the bucket when the stack is deleted.
    const others = ((policy?.Properties.PolicyDocument.Statement ?? []) as any[]).filter(
      (statement) => statement.Effect === 'Allow' && statement !== readers[0],
    );
    for (const statement of others)
      expect(JSON.stringify(statement.Principal)).toContain('AutoDeleteObjects');
  });
});

describe('dashboard site distribution', () => {
  const config = () => resources[distribution]?.Properties.DistributionConfig;

  test('reads the bucket through OAC, not a legacy origin access identity', () => {
    const [origin] = config().Origins;
    expect(origin.DomainName).toEqual({ 'Fn::GetAtt': [bucket, 'RegionalDomainName'] });
    expect(origin.OriginAccessControlId['Fn::GetAtt'][0]).toMatch(/OriginAccessControl/);
    expect(origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
  });

  test('serves HTTPS only, index.html at the root, and the SPA for any unknown path', () => {
    expect(config().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config().DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config().DefaultRootObject).toBe('index.html');
    expect(config().CustomErrorResponses).toEqual(
      [403, 404].map((code) => ({
        ErrorCode: code,
        ResponseCode: 200,
        ResponsePagePath: '/index.html',
        ErrorCachingMinTTL: 0,
      })),
    );
  });

  test('adds security headers: CSP limited to the stack region, HSTS, no framing, no sniffing', () => {
    const headers = logicalId(template, 'AWS::CloudFront::ResponseHeadersPolicy', /^DashboardSiteHeaders/);
    expect(config().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: headers });
    const security = resources[headers]?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('wss://*.execute-api.');
    expect(csp).not.toContain('unsafe-inline');
    expect(security.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63072000,
      Override: true,
    });
    expect(security.FrameOptions.FrameOption).toBe('DENY');
    expect(security.ContentTypeOptions.Override).toBe(true);
  });

  test('the stack outputs its URL', () => {
    expect(template.toJSON().Outputs.DashboardUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']],
    });
  });
});

describe('dashboard site deployment', () => {
  test('copies the built SPA and config.json into the bucket and invalidates the unhashed files', () => {
    expect(deployment()).toMatchObject({
      DestinationBucketName: { Ref: bucket },
      DistributionId: { Ref: distribution },
      DistributionPaths: ['/index.html', '/config.json'],
      Prune: true,
    });
    expect(deployment()?.SourceObjectKeys).toHaveLength(2);
  });

  test("config.json names the stack's API, WebSocket and Cognito hosted sign-in", () => {
    const { text, markers } = stagedConfig(stack);
    const config = JSON.parse(text);
    expect(config.signIn.mode).toBe('cognito');
    const refs = JSON.stringify(markers);
    expect(refs).toContain(`"Ref":"${logicalId(template, 'AWS::ApiGatewayV2::Api', /^ApiHttpApi/)}"`);
    expect(refs).toContain(`"Ref":"${logicalId(template, 'AWS::ApiGatewayV2::Api', /^ProgressApi/)}"`);
    expect(refs).toContain(
      `"Ref":"${logicalId(template, 'AWS::Cognito::UserPoolDomain', /^AuthUserPoolDomain/)}"`,
    );
    expect(refs).toContain(`"Ref":"${logicalId(template, 'AWS::Cognito::UserPoolClient', /AppClient/)}"`);
    expect(config.webSocketUrl).toMatch(/^wss:\/\//);
  });

  test("the deployment handler writes only the site bucket; '*' only for CloudFront invalidations", () => {
    const policies = Object.values(resources).filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties.Roles).includes('CustomCDKBucketDeployment'),
    );
    expect(policies).toHaveLength(1);
    for (const statement of policies[0]?.Properties.PolicyDocument.Statement ?? []) {
      const targets = JSON.stringify(statement.Resource);
      const actions = [statement.Action].flat() as string[];
      if (targets === '"*"') {
        // CloudFront has no resource-level scoping for invalidations of a token-named distribution here.
        expect(actions.sort()).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
      } else if (actions.some((action) => /Put|Delete/.test(action))) {
        expect(targets).toContain(bucket);
        expect(targets).not.toContain('cdk-hnb659fds-assets');
      }
    }
  });
});

describe('dashboard sign-in', () => {
  test('the app client allows only the authorization code flow, back to the dashboard', () => {
    const url = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [url],
      LogoutURLs: [url],
      GenerateSecret: false,
    });
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  test('with an external issuer the dashboard asks for a pasted token and no Cognito domain is made', () => {
    const external = synth({
      externalIssuer: { issuer: 'https://issuer.example.com', audience: ['dashboard'] },
    });
    external.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    expect(JSON.parse(stagedConfig(external.stack).text).signIn).toEqual({ mode: 'token' });
  });
});

describe('turning the site off', () => {
  const offTemplate: Template = synth({ dashboardSite: false }).template;

  test('dashboardSite: false leaves out the bucket, distribution, deployment and output', () => {
    offTemplate.resourceCountIs('AWS::CloudFront::Distribution', 0);
    offTemplate.resourceCountIs('Custom::CDKBucketDeployment', 0);
    offTemplate.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    expect(offTemplate.toJSON().Outputs.DashboardUrl).toBeUndefined();
  });

  test('the jobqueue:dashboardSite context key reads true/false and refuses anything else', () => {
    const propsOf = (value: unknown) =>
      stackPropsFromContext(new App({ context: { 'jobqueue:dashboardSite': value } }).node);
    expect(propsOf('false').dashboardSite).toBe(false);
    expect(propsOf(true).dashboardSite).toBe(true);
    expect(() => propsOf('sometimes')).toThrow(
      /jobqueue:dashboardSite must be true or false, got "sometimes"/,
    );
  });
});
