import { Duration } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CDN_CUSTOM_HEADERS } from '../cdn/response-headers';
import { variantRouterCode } from '../cdn/variant-router';

export interface CdnProps {
  stage: string;
  /** The deployment's name (`deploymentName`): the stage, or the merchant's and the stage. */
  name: string;
  /** The CDN origin: originals and renditions. */
  imagesBucket: IBucket;
  /** Where CloudFront's standard logs go. */
  logsBucket: IBucket;
  /** A custom domain with its ACM certificate (in us-east-1); CloudFront's own domain otherwise. */
  cdnDomain?: { name: string; certificateArn: string };
}

/**
 * CloudFront in front of the images bucket: immutable caching, the storefront headers, and the
 * viewer-request function that maps `cdn_url?width=N` and `Accept` to a rendition's key.
 */
export class Cdn extends Construct {
  readonly distribution: Distribution;
  /** What `cdn_url`s start with. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    // Keys never change content, so copies are cached as long as CloudFront allows.
    const immutableImages = new CachePolicy(this, 'ImmutableImages', {
      comment: 'Image copies: keys are never reused, so cache for a year and ignore cookies and queries',
      defaultTtl: Duration.days(365),
      minTtl: Duration.days(1),
      maxTtl: Duration.days(365),
      cookieBehavior: CacheCookieBehavior.none(),
      headerBehavior: CacheHeaderBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // What a storefront needs to use an image from any page: CORS (canvas, fetch) and `Vary: Accept`
    // as fixed headers (infra/cdn/response-headers.ts says why), and safe defaults.
    const storefrontHeaders = new ResponseHeadersPolicy(this, 'StorefrontHeaders', {
      comment: 'Images usable cross-origin from any storefront; HSTS and nosniff',
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
      },
      customHeadersBehavior: {
        customHeaders: Object.entries(CDN_CUSTOM_HEADERS).map(([header, value]) => ({
          header,
          value,
          override: true,
        })),
      },
    });
    // Maps `cdn_url?width=N` + `Accept` to a rendition's key before the cache is looked up, so the
    // cache key is the rendition (infra/cdn/viewer-request.js).
    const variantRouter = new CloudFrontFunction(this, 'VariantRouter', {
      comment: 'cdn_url?width=N and Accept to the rendition key',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(variantRouterCode()),
    });
    this.distribution = new Distribution(this, 'Cdn', {
      comment: `product-images ${props.name} CDN`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(props.imagesBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: immutableImages,
        responseHeadersPolicy: storefrontHeaders,
        compress: true,
        functionAssociations: [{ function: variantRouter, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      ...(props.cdnDomain
        ? {
            domainNames: [props.cdnDomain.name],
            certificate: Certificate.fromCertificateArn(
              this,
              'CdnCertificate',
              props.cdnDomain.certificateArn,
            ),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logsBucket,
      logFilePrefix: 'cdn/',
    });
    this.baseUrl = `https://${props.cdnDomain?.name ?? this.distribution.distributionDomainName}`;
  }
}
