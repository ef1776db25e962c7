import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { buildDashboard, dashboardPaths } from '../dashboard-build';
import { dashboardContentSecurityPolicy } from '../dashboard-policy';
import type { Auth } from './auth';

export interface DashboardSiteProps {
  /** The HTTP API's base URL, written to the SPA's `config.json`. */
  readonly httpApiUrl: string;
  /** The WebSocket API's URL (`wss://…/stage`), written to `config.json`. */
  readonly webSocketUrl: string;
  /** Sign-in: the hosted UI of its user pool, or a pasted token with an external issuer. */
  readonly auth: Auth;
  /**
   * Edge locations serving the site. The SPA is a few hundred KB loaded once per visit.
   * @default cloudfront.PriceClass.PRICE_CLASS_100 (North America and Europe)
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * The built SPA. Tests pass a folder; a deployment builds `dashboard/` with Vite.
   * @default `dashboard/` built with Vite during asset bundling
   */
  readonly assets?: s3deploy.ISource;
}

/**
 * The web dashboard as a static site: a private bucket read only by a CloudFront
 * distribution through origin access control, HTTPS only, security headers on every
 * answer, and the SPA's `config.json` made from the stack's own endpoints.
 */
export class DashboardSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution>.cloudfront.net/` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3: CloudFront's OAC reads it without a KMS key policy; the files are public anyway.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Unversioned: every object is a build output of a commit, re-deployable at will; old
      // versions would only accumulate (the deployment prunes what a build no longer has).
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'jobqueue dashboard: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: dashboardContentSecurityPolicy([
            `https://*.execute-api.${region}.amazonaws.com`,
            `wss://*.execute-api.${region}.amazonaws.com`,
            `https://*.auth.${region}.amazoncognito.com`,
          ]),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'jobqueue dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // A path the bucket lacks is a route of the SPA: answer with the app (S3 says 403 to OAC).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;

    const signIn = props.auth.addHostedSignIn(this.url);
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        props.assets ?? dashboardAssets(),
        s3deploy.Source.jsonData('config.json', {
          httpUrl: props.httpApiUrl,
          webSocketUrl: props.webSocketUrl,
          signIn: signIn ? { mode: 'cognito', ...signIn } : { mode: 'token' },
        }),
      ],
      prune: true,
      // index.html and config.json name no hash: a deployment must be seen at once.
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 256,
    });

    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Build output read only by CloudFront through OAC: S3 access logs would record the distribution alone.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'No geo restriction: operators sign in from wherever they are; the API enforces access.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF ($5+ a month a web ACL): the site is static files; every data request goes to the API with a JWT.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'No access logs: static files only; who did what is in the API and its logs.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate cannot pin a TLS minimum; a custom domain with its own certificate would.',
      },
    ]);
    // CDK's deployment handler: one function per stack, found by its construct id.
    const handler = Stack.of(this)
      .node.children.filter((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))
      .concat(deployment.handlerRole);
    NagSuppressions.addResourceSuppressions(
      handler,
      [
        { id: 'AwsSolutions-IAM4', reason: 'CDK BucketDeployment handler: the basic Lambda execution role.' },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CDK BucketDeployment handler: writes any key of the site bucket, reads the asset objects, invalidates (CloudFront has no ARN scoping for it here).',
        },
        { id: 'AwsSolutions-L1', reason: "CDK BucketDeployment handler: its runtime is the CDK version's." },
      ],
      true,
    );
  }
}

/**
 * `dashboard/` built with Vite at synth (local bundling: Node is there, as `cdk` runs on
 * it). A synth that skips bundling (tests, the local cloud) stages the sources as they
 * are, so a fresh clone synthesizes without a build.
 */
const dashboardAssets = (): s3deploy.ISource => {
  const { source } = dashboardPaths();
  return s3deploy.Source.asset(source, {
    exclude: ['dist', 'dist.*', 'node_modules'],
    // The bundle also draws on `client/` and node_modules: hash what was built.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
      command: [
        'sh',
        '-c',
        'echo "The dashboard builds with the local Vite: run npm install first." >&2; exit 1',
      ],
      local: {
        tryBundle(outputDir: string): boolean {
          buildDashboard(outputDir);
          return true;
        },
      },
    },
  });
};
