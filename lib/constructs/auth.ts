import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ConfigurationError } from '../validation';

export interface ExternalIssuer {
  /** The issuer URL (`iss` claim). */
  readonly issuer: string;
  /** Accepted audiences (`aud`, or Cognito access tokens' `client_id`). */
  readonly audience: string[];
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri?: string;
}

/** Where a browser app sends users to sign in (see `Auth.addHostedSignIn`). */
export interface HostedSignIn {
  /** The user pool's Cognito domain, e.g. `https://….auth.eu-west-1.amazoncognito.com`. */
  readonly domainUrl: string;
  /** The app client the API's authorizer accepts. */
  readonly clientId: string;
}

export interface AuthProps {
  /** Use an existing OIDC issuer instead of creating a Cognito user pool. @default a new user pool */
  readonly externalIssuer?: ExternalIssuer;
}

/**
 * Who may call the APIs: by default a Cognito user pool with an app client and an
 * `admin` group (members are administrators); or an existing issuer.
 */
export class Auth extends Construct {
  readonly issuer: string;
  readonly audience: string[];
  readonly jwksUri: string;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  private hostedSignIn?: HostedSignIn;

  constructor(scope: Construct, id: string, props: AuthProps = {}) {
    super(scope, id);
    if (props.externalIssuer) {
      const { issuer, audience, jwksUri } = props.externalIssuer;
      if (!/^https?:\/\/\S+$/.test(issuer)) {
        throw new ConfigurationError(this, `externalIssuer.issuer must be an http(s) URL, got "${issuer}"`);
      }
      if (audience.length === 0)
        throw new ConfigurationError(this, 'externalIssuer.audience must not be empty');
      this.issuer = issuer;
      this.audience = audience;
      this.jwksUri = jwksUri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
      return;
    }
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: 'admin',
      description: 'Administrators: see all jobs and manage queues',
    });
    this.userPoolClient = this.userPool.addClient('AppClient', {
      authFlows: { userSrp: true, userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.audience = [this.userPoolClient.userPoolClientId];
    this.jwksUri = `${this.issuer}/.well-known/jwks.json`;
    NagSuppressions.addResourceSuppressions(this.userPool, [
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is offered (TOTP) but not forced: service accounts submit jobs with tokens too.',
      },
      {
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection needs the Plus feature plan; left to operators who want it.',
      },
    ]);
  }

  /**
   * Lets a browser app at `callbackUrl` sign users in through the user pool's hosted UI:
   * the authorization code flow with PKCE only (a browser keeps no client secret; the
   * implicit flow's tokens in URLs are gone), on the app client the API already trusts,
   * so its ID tokens carry `cognito:groups` for the API. Creates the pool's Cognito domain.
   * Undefined with an external issuer, which has its own sign-in.
   */
  addHostedSignIn(callbackUrl: string): HostedSignIn | undefined {
    if (!this.userPool || !this.userPoolClient) return undefined;
    if (this.hostedSignIn) {
      throw new ConfigurationError(this, 'addHostedSignIn was already called: one browser app per user pool');
    }
    // Cognito domain prefixes are global per region: this construct's address (after its
    // constant `c8` version prefix) keeps two
    // stacks of one account apart, the account id two accounts.
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: {
        domainPrefix: Fn.join('-', ['jobqueue', this.node.addr.slice(2, 12), Aws.ACCOUNT_ID]),
      },
    });
    const client = this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient;
    client.allowedOAuthFlowsUserPoolClient = true;
    client.allowedOAuthFlows = ['code'];
    client.allowedOAuthScopes = ['openid', 'email', 'profile'];
    client.supportedIdentityProviders = ['COGNITO'];
    client.callbackUrLs = [callbackUrl];
    client.logoutUrLs = [callbackUrl];
    this.hostedSignIn = { domainUrl: domain.baseUrl(), clientId: this.userPoolClient.userPoolClientId };
    return this.hostedSignIn;
  }
}
