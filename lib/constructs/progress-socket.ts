import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/core/environment';
import { SOCKET_HANDLER_TABLE_ACCESS } from '../../lambdas/socket/table-access';
import type { Auth } from './auth';
import type { JobTable } from './job-table';
import { type FunctionTracingProps, JobQueueFunction } from './node-function';

export interface ProgressSocketProps extends FunctionTracingProps {
  readonly table: JobTable;
  readonly auth: Auth;
  /** @default 'live' */
  readonly stageName?: string;
  /** Steady messages per second across the stage. @default 100 */
  readonly throttlingRateLimit?: number;
  /** @default 200 */
  readonly throttlingBurstLimit?: number;
}

/** Client → server actions, routed by `$request.body.action`. */
const ACTIONS = ['subscribe', 'unsubscribe', 'ping'] as const;

/**
 * The WebSocket API for live progress: `$connect` is authorized by a Lambda REQUEST
 * authorizer reading the JWT from the `token` query parameter; one function serves
 * connect, disconnect, subscribe, unsubscribe, ping and `$default`.
 */
export class ProgressSocket extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly handler: JobQueueFunction;
  readonly authorizerFunction: JobQueueFunction;

  constructor(scope: Construct, id: string, props: ProgressSocketProps) {
    super(scope, id);
    this.authorizerFunction = new JobQueueFunction(this, 'Authorizer', {
      tracing: props.tracing,
      entry: 'lambdas/socket/authorizer.ts',
      description: 'Authorizes WebSocket connections with the JWT in the token query parameter',
      timeout: Duration.seconds(10),
      environment: {
        [ENV.jwtIssuer]: props.auth.issuer,
        [ENV.jwtAudience]: props.auth.audience.join(','),
        [ENV.jwtJwksUri]: props.auth.jwksUri,
      },
    });
    this.handler = new JobQueueFunction(this, 'Handler', {
      tracing: props.tracing,
      entry: 'lambdas/socket/handler.ts',
      description: 'WebSocket connect, disconnect, subscribe, unsubscribe and ping',
      timeout: Duration.seconds(10),
      environment: { [ENV.tableName]: props.table.table.tableName },
    });
    // The authorizer only verifies the token (JWKS over HTTPS): no table access at all.
    for (const access of SOCKET_HANDLER_TABLE_ACCESS) {
      props.table.grantItemAccess(this.handler, access.actions, access.leadingKeyPrefixes);
    }

    const integration = (name: string) => new WebSocketLambdaIntegration(`${name}Integration`, this.handler);
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'jobqueue live progress',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: integration('Connect'),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizerFunction, {
          identitySource: ['route.request.querystring.token'],
        }),
      },
      disconnectRouteOptions: { integration: integration('Disconnect') },
      defaultRouteOptions: { integration: integration('Default') },
    });
    for (const action of ACTIONS) this.api.addRoute(action, { integration: integration(action) });

    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'live',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 100,
        burstLimit: props.throttlingBurstLimit ?? 200,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH }),
        ),
      },
    });
    this.handler.addEnvironment(ENV.webSocketCallbackUrl, this.stage.callbackUrl);
    this.grantManageConnections(this.handler);

    // WebSocket APIs authorize once, on $connect; later messages run on that connection.
    const unauthorizedRoutes = this.api.node
      .findAll()
      .filter(
        (child): child is apigwv2.CfnRoute =>
          child instanceof apigwv2.CfnRoute && child.routeKey !== '$connect',
      );
    for (const route of unauthorizedRoutes) {
      NagSuppressions.addResourceSuppressions(route, [
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'WebSocket APIs authorize on $connect; this route runs on an already authorized connection.',
        },
      ]);
    }
  }

  /** wss:// URL clients connect to (append `?token=<JWT>`). */
  get url(): string {
    return this.stage.url;
  }

  /** https:// URL of the @connections management API. */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /** Lets `grantee` post to, read and close connections of this stage. */
  grantManageConnections(grantee: IGrantable) {
    const grant = this.stage.grantManagementApiAccess(grantee);
    const principal = grantee.grantPrincipal;
    const node = (principal as unknown as { node?: Construct['node'] }).node;
    if (node) {
      NagSuppressions.addResourceSuppressions(
        principal as unknown as Construct,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Connection ids are only known at run time; access is limited to this stage’s @connections.',
            appliesTo: [{ regex: '/^Resource::arn:.*@connections\\/\\*$/g' }],
          },
        ],
        true,
      );
    }
    return grant;
  }
}
