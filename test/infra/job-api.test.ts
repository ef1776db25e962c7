import { Match } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../lambdas/api/route-table';
import { logicalId, synth } from './synth';

describe('HTTP API', () => {
  const { template } = synth();
  const routes = template.findResources('AWS::ApiGatewayV2::Route');
  const httpApi = logicalId(template, 'AWS::ApiGatewayV2::Api', /^ApiHttpApi/);
  const httpRoutes = Object.values(routes).filter((route) => route.Properties.ApiId.Ref === httpApi);
  const routeByKey = (key: string) => httpRoutes.find((route) => route.Properties.RouteKey === key);

  test('has a JWT authorizer reading the Authorization header, pointed at the user pool', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('AuthUserPoolAppClient') }],
        Issuer: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      },
    });
  });

  test('creates one route per route-table entry, plus $default', () => {
    expect(httpRoutes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      [...ROUTES.map((route) => `${route.method} ${route.path}`), '$default'].sort(),
    );
  });

  test('every route but the health check requires the JWT', () => {
    for (const route of httpRoutes) {
      const key = route.Properties.RouteKey as string;
      const expected = key === 'GET /v1/health' ? 'NONE' : 'JWT';
      expect({ key, auth: route.Properties.AuthorizationType }).toEqual({ key, auth: expected });
    }
  });

  test('unknown routes reach the API function through $default behind the authorizer', () => {
    const fallback = routeByKey('$default');
    expect(fallback?.Properties.AuthorizationType).toBe('JWT');
    expect(fallback?.Properties.Target).toBeDefined();
  });

  test('the stage is throttled and access-logged', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: httpApi },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  test('the API function gets its limits from props', () => {
    synth({ rateLimitPerMinute: 30, maxUploadBytes: 1024 }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ RATE_LIMIT_PER_MINUTE: '30', MAX_UPLOAD_BYTES: '1024' }),
        },
      },
    );
  });

  test('an invalid rate limit fails synth', () => {
    expect(() => synth({ rateLimitPerMinute: 0 })).toThrow(
      /rateLimitPerMinute must be an integer from 1 to 100000, got 0/,
    );
  });

  test('an external issuer replaces the user pool', () => {
    const external = synth({
      externalIssuer: { issuer: 'https://id.example.com', audience: ['jobqueue'] },
    }).template;
    external.resourceCountIs('AWS::Cognito::UserPool', 0);
    external.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Audience: ['jobqueue'], Issuer: 'https://id.example.com' },
    });
    expect(() => synth({ externalIssuer: { issuer: 'not a url', audience: ['x'] } })).toThrow(
      /issuer must be an http\(s\) URL/,
    );
  });

  test('the API function may query the status index by name (admin search and bulk retry), never scan or use index/*', () => {
    const role = logicalId(template, 'AWS::IAM::Role', /^ApiHandlerRole[0-9A-F]{8}$/);
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const table = logicalId(template, 'AWS::DynamoDB::GlobalTable', /^JobsTable/);
    const querying = statements.filter((statement) => [statement.Action].flat().includes('dynamodb:Query'));
    expect(querying.flatMap((statement) => [statement.Resource].flat())).toContainEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/StatusJobs']],
    });
    expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain('dynamodb:Scan');
    expect(JSON.stringify(statements)).not.toContain('/index/*');
  });

  test('the user pool has an admin group and no self sign-up', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });
});
