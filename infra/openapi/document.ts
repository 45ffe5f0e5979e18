import { IMAGE_TYPES } from '../../lib/domain/image';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/domain/pagination';
import { MAX_ORDER, MAX_SKU_LENGTH, MAX_URL_LENGTH } from '../../lib/domain/validation';
import { VARIANT_FORMATS } from '../../lib/domain/variant-ladder';
import { CONTENT_TYPES } from '../../lib/formats/image-formats';

/**
 * The API's OpenAPI 3.1 description, written by hand beside the code and kept true by tests: every
 * answer of the integration suites is validated against it, Stoplight Prism proxies a suite of every
 * request kind to local mode and fails on any mismatch, and requests generated from its schemas must get
 * the answers it promises. `npm run openapi` writes it to `openapi.json`.
 */

const MAX_IMAGES_PER_SKU = 100;
/** No control characters, and something besides whitespace (the server trims, then refuses blanks). */
const SKU_PATTERN = '^[^\\s\\x00-\\x1f\\x7f-\\x9f]([^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f])?$';
/** Absolute http(s), a host, no user name or password, no whitespace or backslash. */
const URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#@\\\\]+([/?#][^\\s\\\\]*)?$';

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

const detailExample = (detail: string) => ({ example: { detail } });

const schemas = {
  ImageType: { type: 'string', enum: [...IMAGE_TYPES], description: 'Defaults to `default`.' },
  ImageStatus: {
    type: 'string',
    enum: ['pending', 'ready', 'failed'],
    description: '`pending`: stored, not yet on the CDN; `ready`: copied; `failed`: see `error`.',
  },
  Image: {
    type: 'object',
    description:
      "One image as answers show it: the original document's fields, then what the pipeline learned.",
    required: [
      'id',
      'url',
      'order',
      'image_type',
      'status',
      'cdn_url',
      'error',
      'width',
      'height',
      'bytes',
      'content_type',
      'content_sha256',
      'thumbhash',
      'dominant_color',
      'variants',
      'tiles',
    ],
    additionalProperties: false,
    properties: {
      id: {
        type: 'integer',
        minimum: 1,
        description: 'Unique across the deployment, never reused; kept while the URL stays.',
      },
      url: { type: 'string', maxLength: MAX_URL_LENGTH, description: "The image's identity within its SKU." },
      order: { type: 'integer', minimum: 0, maximum: MAX_ORDER },
      image_type: ref('ImageType'),
      status: ref('ImageStatus'),
      cdn_url: {
        type: ['string', 'null'],
        format: 'uri',
        description:
          'The original on the CDN when `ready`, else null. `?width=N` serves the smallest rendition at least N pixels wide (else the largest), as AVIF, WebP or the fallback, whichever the `Accept` header allows first; an image with no renditions serves the original. The URL may change when renditions are added; every URL handed out keeps working.',
      },
      error: {
        type: ['string', 'null'],
        description:
          'A short reason when `failed` (`HTTP 404 from origin`, `not an image`, `image larger than 20 MiB`, `address not allowed`, …), else null.',
      },
      width: {
        type: ['integer', 'null'],
        minimum: 0,
        description:
          'Pixels as a viewer sees them (after EXIF orientation; one frame of an animation), when `ready`. Images copied before renditions existed show the size as stored.',
      },
      height: { type: ['integer', 'null'], minimum: 0 },
      bytes: { type: ['integer', 'null'], minimum: 0 },
      content_type: { type: ['string', 'null'], enum: [...Object.values(CONTENT_TYPES), null] },
      content_sha256: {
        type: ['string', 'null'],
        pattern: '^[0-9a-f]{64}$',
        description:
          "SHA-256 of the original's bytes once downloaded; equal bytes are stored and rendered once.",
      },
      thumbhash: {
        type: ['string', 'null'],
        description:
          'A ThumbHash (base64) to draw while the image loads, when `ready` (null when the image could not be decoded here, as with an animated AVIF).',
      },
      dominant_color: {
        type: ['string', 'null'],
        pattern: '^#[0-9a-f]{6}$',
        description: '`#rrggbb`, when `ready`.',
      },
      variants: {
        type: 'array',
        description:
          "The renditions, largest first (empty until `ready`, and for an image published without renditions, such as an animated AVIF): the ladder's widths the original covers and, between rungs, its own width. A swatch (`image_type: swatch`) lists its square swatch renditions instead (`SWATCH_WIDTHS`, default 64, 128, 192), and its `cdn_url?width=N` serves them. For `srcset` and `<picture>`.",
        items: ref('Variant'),
      },
      tiles: {
        type: 'array',
        description:
          "Grid tiles of the deployment's tile aspects (`TILE_ASPECTS`, default `1:1`), smallest first, when `ready` (empty for a swatch, an animation, and contents rendered before tiles existed until `npm run rerender`): a packshot trimmed, centred and padded on its own backdrop; a photo within 25 % of the aspect cropped to it, any other padded whole on its edges' colour; never enlarged. `cdn_url?width=N&height=M` serves the tile of the aspect within 5 % of N:M at the smallest tile width at least N.",
        items: ref('Tile'),
      },
    },
  },
  Tile: {
    type: 'object',
    required: ['aspect', 'width', 'height', 'format', 'url'],
    additionalProperties: false,
    properties: {
      aspect: {
        type: 'string',
        pattern: '^[1-9][0-9]?:[1-9][0-9]?$',
        description: '`width:height`, such as `1:1`.',
      },
      width: { type: 'integer', minimum: 1 },
      height: { type: 'integer', minimum: 1 },
      format: { type: 'string', enum: [...VARIANT_FORMATS] },
      url: { type: 'string', format: 'uri' },
    },
  },
  Variant: {
    type: 'object',
    required: ['width', 'height', 'format', 'url'],
    additionalProperties: false,
    properties: {
      width: { type: 'integer', minimum: 1 },
      height: { type: 'integer', minimum: 1 },
      format: { type: 'string', enum: [...VARIANT_FORMATS] },
      url: { type: 'string', format: 'uri' },
    },
  },
  Product: {
    type: 'object',
    required: ['product_sku', 'images'],
    additionalProperties: false,
    properties: {
      product_sku: { type: 'string', minLength: 1, maxLength: MAX_SKU_LENGTH },
      images: { type: 'array', items: ref('Image'), description: 'Sorted by `order`, then `id`.' },
    },
  },
  ProductPage: {
    type: 'object',
    description: 'DRF PageNumberPagination.',
    required: ['count', 'next', 'previous', 'results'],
    additionalProperties: false,
    properties: {
      count: {
        type: 'integer',
        minimum: 0,
        description: 'Exact number of products with images (0 or 1 with `product_sku`).',
      },
      next: {
        type: ['string', 'null'],
        format: 'uri',
        description:
          "Absolute URL of the next page (the client's scheme, host and stage), other query parameters kept, with a `cursor` position hint; null on the last page.",
      },
      previous: {
        type: ['string', 'null'],
        format: 'uri',
        description: 'As `next`, for the previous page; null on the first.',
      },
      results: { type: 'array', items: ref('Product') },
    },
  },
  ImageRequest: {
    type: 'object',
    required: ['url'],
    description:
      'Any other key (`id`, `status`, `cdn_url`, …) is ignored, so an image from a GET answer can be posted back as it is.',
    properties: {
      url: {
        type: 'string',
        format: 'uri',
        minLength: 1,
        maxLength: MAX_URL_LENGTH,
        pattern: URL_PATTERN,
        description:
          'Absolute `http` or `https` URL with a host, no user name or password; surrounding whitespace is trimmed. Two entries with the same URL: 400.',
      },
      order: {
        description: `0 to ${MAX_ORDER}, default 0; \`null\` counts as absent. As DRF's IntegerField, a string of digits (\`"5"\`) and an integral float (\`5.0\`) are taken as that integer; \`1.5\`, \`"abc"\` and booleans are refused.`,
        oneOf: [
          { type: 'integer', minimum: 0, maximum: MAX_ORDER },
          { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$' },
          { type: 'null' },
        ],
      },
      image_type: ref('ImageType'),
      unit_type: {
        type: 'string',
        description: 'Accepted and ignored (a leftover of the original document).',
      },
    },
  },
  ImageSetRequest: {
    type: 'object',
    required: ['product_sku', 'images'],
    description: 'Validation is all or nothing; a single error answers 400 and stores nothing.',
    properties: {
      product_sku: {
        description: `1 to ${MAX_SKU_LENGTH} characters after trimming, no control characters. A JSON integer is stored as its decimal string, as DRF's CharField does; booleans, floats, objects and lists are refused.`,
        oneOf: [
          { type: 'string', minLength: 1, maxLength: MAX_SKU_LENGTH, pattern: SKU_PATTERN },
          { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
        ],
      },
      images: {
        type: 'array',
        maxItems: MAX_IMAGES_PER_SKU,
        items: ref('ImageRequest'),
        'x-unique-by': 'url',
        description: `The whole new set, 0 to ${MAX_IMAGES_PER_SKU} images (the deployment's \`MAX_IMAGES_PER_SKU\`); \`[]\` deletes every image of the SKU. Each URL at most once.`,
      },
    },
  },
  Detail: {
    type: 'object',
    required: ['detail'],
    additionalProperties: false,
    properties: { detail: { type: 'string' } },
  },
  FieldErrors: {
    type: 'object',
    description:
      "DRF's validation errors: each field with its messages; `images` holds either messages for the list or one object per entry (`{}` for valid ones). `page` and `limit` name a bad query parameter.",
    minProperties: 1,
    additionalProperties: {
      oneOf: [
        { type: 'array', items: { type: 'string' }, minItems: 1 },
        {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 },
          },
        },
      ],
    },
    example: {
      images: [{}, { url: ['Enter a valid URL.'] }, { image_type: ['"foo" is not a valid choice.'] }],
    },
  },
  BadRequest: {
    description: 'Field errors, or `{"detail": "JSON parse error - …"}` for a body that is not JSON.',
    oneOf: [ref('FieldErrors'), ref('Detail')],
  },
};

const noStore = { 'Cache-Control': headerRef('CacheControl') };

const responses = {
  BadRequest: {
    description: 'Invalid request: nothing was read or written.',
    headers: noStore,
    content: json(ref('BadRequest')),
  },
  Unauthorized: {
    description:
      '`Authentication credentials were not provided.` (missing or malformed header) or `Invalid token.` (unknown or revoked key).',
    headers: { ...noStore, 'WWW-Authenticate': headerRef('WWWAuthenticate') },
    content: { 'application/json': { schema: ref('Detail'), ...detailExample('Invalid token.') } },
  },
  NotFound: {
    description:
      '`Invalid page.`: a page past the end, or a followed link with nothing left past its position.',
    headers: noStore,
    content: { 'application/json': { schema: ref('Detail'), ...detailExample('Invalid page.') } },
  },
  MethodNotAllowed: {
    description:
      'Only GET, HEAD and POST are served (deployed, the key is checked first, so a request without one answers 401).',
    headers: { ...noStore, Allow: headerRef('Allow') },
    content: { 'application/json': { schema: ref('Detail'), ...detailExample('Method "PUT" not allowed.') } },
  },
  TooManyRequests: {
    description: '`Request was throttled.` by API Gateway; retry after `Retry-After` seconds.',
    headers: { ...noStore, 'Retry-After': headerRef('RetryAfter') },
    content: { 'application/json': { schema: ref('Detail'), ...detailExample('Request was throttled.') } },
  },
  ServerError: {
    description: '`A server error occurred.`: never a stack trace or an internal message.',
    headers: noStore,
    content: { 'application/json': { schema: ref('Detail'), ...detailExample('A server error occurred.') } },
  },
  Unavailable: {
    description:
      "DynamoDB throttled or failed past the SDK's own retries; nothing was written. Retry after `Retry-After` seconds.",
    headers: { ...noStore, 'Retry-After': headerRef('RetryAfter') },
    content: {
      'application/json': {
        schema: ref('Detail'),
        ...detailExample('Service temporarily unavailable, try again later.'),
      },
    },
  },
};

const listParameters = [
  {
    name: 'product_sku',
    in: 'query',
    description:
      'Exact match: `count` 1 with that product, or 0. Sent twice, the last value counts (as Django does).',
    schema: { type: 'string', maxLength: 1000 },
  },
  {
    name: 'page',
    in: 'query',
    description: '1-based. A non-integer or < 1 answers 400 `{"page": [...]}`; past the end, 404.',
    schema: { type: 'integer', minimum: 1, default: 1 },
  },
  {
    name: 'limit',
    in: 'query',
    description: `Page size, default ${DEFAULT_PAGE_SIZE}; above ${MAX_PAGE_SIZE} it is lowered to ${MAX_PAGE_SIZE}, as DRF's max_page_size does. A non-integer or < 1 answers 400.`,
    schema: { type: 'integer', minimum: 1, default: DEFAULT_PAGE_SIZE },
  },
  {
    name: 'cursor',
    in: 'query',
    description:
      'The position hint `next` and `previous` links carry: opaque, signed. With it a page is read from that position at the same cost at any depth; one that does not match `page` and `limit` (or was edited) is ignored and the page is read by number.',
    schema: { type: 'string', maxLength: 2048 },
  },
];

const getOperation = (operationId: string, summary: string) => ({
  operationId,
  summary,
  tags: ['downloadable_image'],
  parameters: listParameters,
  responses: {
    '200': {
      description: 'One page of products in SKU order (byte order of UTF-8).',
      headers: {
        ...noStore,
        ETag: {
          ...headerRef('ETag'),
          description: 'With `product_sku` of a product that exists: its stored version.',
        },
      },
      // HEAD answers describe the same representation, without sending it.
      content: json(ref('ProductPage')),
    },
    '400': responseRef('BadRequest'),
    '401': responseRef('Unauthorized'),
    '404': responseRef('NotFound'),
    '429': responseRef('TooManyRequests'),
    '500': responseRef('ServerError'),
    '503': responseRef('Unavailable'),
  },
});

const setAnswer = (description: string) => ({
  description,
  headers: { ...noStore, ETag: headerRef('ETag') },
  content: json(ref('Product')),
});

const postOperation = (operationId: string) => ({
  operationId,
  summary: 'Replace the image set of one SKU',
  description:
    "The upsert: an image's identity within a SKU is its exact `url`. A known URL keeps its `id` and takes `order` and `image_type` from the request; a new URL gets a new `id` and starts `pending`; a stored URL missing from the request is deleted with its CDN copy. One conditional write: two concurrent POSTs never mix. Repeating a POST changes nothing and keeps the ETag.",
  tags: ['downloadable_image'],
  parameters: [
    {
      name: 'If-Match',
      in: 'header',
      description:
        'Entity tags (or `*`), as a list or on several lines: 412 unless the stored version is one of them.',
      schema: { type: 'string' },
    },
    {
      name: 'If-None-Match',
      in: 'header',
      description:
        '`*`: 412 when the SKU already has images. Tags: 412 when the stored version is one of them.',
      schema: { type: 'string' },
    },
  ],
  requestBody: { required: true, description: 'JSON, at most 1 MiB.', content: json(ref('ImageSetRequest')) },
  responses: {
    '200': setAnswer('The SKU had images before; the stored set.'),
    '201': setAnswer('The SKU had no images before; the stored set.'),
    '400': responseRef('BadRequest'),
    '401': responseRef('Unauthorized'),
    '409': {
      description: 'Concurrent POSTs to this SKU kept winning; nothing was written. Retry.',
      headers: noStore,
      content: json(ref('Detail')),
    },
    '412': {
      description: '`If-Match` or `If-None-Match` did not hold; nothing was written.',
      headers: noStore,
      content: json(ref('Detail')),
    },
    '413': { description: 'The body is over 1 MiB.', headers: noStore, content: json(ref('Detail')) },
    '415': {
      description: 'Not `application/json`: `Unsupported media type "X" in request.`',
      headers: noStore,
      content: json(ref('Detail')),
    },
    '429': responseRef('TooManyRequests'),
    '500': responseRef('ServerError'),
    '503': responseRef('Unavailable'),
  },
});

const notAllowed = (method: string) => ({
  operationId: `${method}NotAllowed`,
  summary: `${method.toUpperCase()} is not allowed`,
  tags: ['downloadable_image'],
  responses: { '401': responseRef('Unauthorized'), '405': responseRef('MethodNotAllowed') },
});

const pathItem = (suffix: string) => ({
  get: getOperation(`listImages${suffix}`, 'Image data of all products, or of one with `product_sku`'),
  head: getOperation(`headImages${suffix}`, 'As GET, without a body'),
  post: postOperation(`replaceImages${suffix}`),
  put: notAllowed(`put${suffix}`),
  patch: notAllowed(`patch${suffix}`),
  delete: notAllowed(`delete${suffix}`),
});

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Product Image API (downloadable_image)',
      version: '1.0.0',
      summary:
        'Merchants post the full list of image URLs of a product SKU; the service stores it atomically and publishes each image on a CDN.',
      description:
        "A re-implementation of the commerce platform's Product Image API. Every answer is JSON with `Cache-Control: no-store`. The path answers with and without its trailing slash.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      { url: 'http://127.0.0.1:3000', description: 'Local mode (`npm start`)' },
      {
        url: 'https://{api}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'Deployed',
        variables: {
          api: { default: 'abcdef1234' },
          region: { default: 'eu-west-1' },
          stage: { default: 'prod', enum: ['prod', 'dev'] },
        },
      },
    ],
    security: [{ Token: [] }],
    tags: [{ name: 'downloadable_image', description: 'The one resource.' }],
    paths: {
      '/api/i1/downloadable_image/': pathItem(''),
      '/api/i1/downloadable_image': pathItem('WithoutSlash'),
    },
    components: {
      securitySchemes: {
        Token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            '`Authorization: Token <key>` (the scheme is case-insensitive): a 40-hex-character key from `npm run token -- create NAME`.',
        },
      },
      headers: {
        CacheControl: {
          description: 'Every answer: `no-store`.',
          schema: { type: 'string', const: 'no-store' },
        },
        ETag: {
          description:
            'The stored version of the image set, quoted; changes only when a POST changes the set.',
          schema: { type: 'string', pattern: '^"[^"]+"$' },
        },
        WWWAuthenticate: {
          description: '`Token`',
          required: true,
          schema: { type: 'string', const: 'Token' },
        },
        Allow: { description: '`GET, POST, HEAD`', required: true, schema: { type: 'string' } },
        RetryAfter: {
          description: 'Seconds.',
          required: true,
          schema: { type: 'string', pattern: '^[0-9]+$' },
        },
      },
      schemas,
      responses,
    },
  };
}
