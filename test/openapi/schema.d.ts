/**
 * Generated from openapi.json by `npm run openapi` (openapi-typescript). Do not edit.
 */

export interface paths {
    "/api/i1/downloadable_image/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Image data of all products, or of one with `product_sku` */
        get: operations["listImages"];
        /** PUT is not allowed */
        put: operations["putNotAllowed"];
        /**
         * Replace the image set of one SKU
         * @description The upsert: an image's identity within a SKU is its exact `url`. A known URL keeps its `id` and takes `order` and `image_type` from the request; a new URL gets a new `id` and starts `pending`; a stored URL missing from the request is deleted with its CDN copy. One conditional write: two concurrent POSTs never mix. Repeating a POST changes nothing and keeps the ETag.
         */
        post: operations["replaceImages"];
        /** DELETE is not allowed */
        delete: operations["deleteNotAllowed"];
        options?: never;
        /** As GET, without a body */
        head: operations["headImages"];
        /** PATCH is not allowed */
        patch: operations["patchNotAllowed"];
        trace?: never;
    };
    "/api/i1/downloadable_image": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Image data of all products, or of one with `product_sku` */
        get: operations["listImagesWithoutSlash"];
        /** PUTWITHOUTSLASH is not allowed */
        put: operations["putWithoutSlashNotAllowed"];
        /**
         * Replace the image set of one SKU
         * @description The upsert: an image's identity within a SKU is its exact `url`. A known URL keeps its `id` and takes `order` and `image_type` from the request; a new URL gets a new `id` and starts `pending`; a stored URL missing from the request is deleted with its CDN copy. One conditional write: two concurrent POSTs never mix. Repeating a POST changes nothing and keeps the ETag.
         */
        post: operations["replaceImagesWithoutSlash"];
        /** DELETEWITHOUTSLASH is not allowed */
        delete: operations["deleteWithoutSlashNotAllowed"];
        options?: never;
        /** As GET, without a body */
        head: operations["headImagesWithoutSlash"];
        /** PATCHWITHOUTSLASH is not allowed */
        patch: operations["patchWithoutSlashNotAllowed"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description Defaults to `default`.
         * @enum {string}
         */
        ImageType: "default" | "swatch";
        /**
         * @description `pending`: stored, not yet on the CDN; `ready`: copied; `failed`: see `error`.
         * @enum {string}
         */
        ImageStatus: "pending" | "ready" | "failed";
        /** @description One image as answers show it: the original document's fields, then what the pipeline learned. */
        Image: {
            /** @description Unique across the deployment, never reused; kept while the URL stays. */
            id: number;
            /** @description The image's identity within its SKU. */
            url: string;
            order: number;
            image_type: components["schemas"]["ImageType"];
            status: components["schemas"]["ImageStatus"];
            /**
             * Format: uri
             * @description The original on the CDN when `ready`, else null. `?width=N` serves the smallest rendition at least N pixels wide (else the largest), as AVIF, WebP or the fallback, whichever the `Accept` header allows first; an image with no renditions serves the original. The URL may change when renditions are added; every URL handed out keeps working.
             */
            cdn_url: string | null;
            /** @description A short reason when `failed` (`HTTP 404 from origin`, `not an image`, `image larger than 20 MiB`, `address not allowed`, …), else null. */
            error: string | null;
            /** @description Pixels as a viewer sees them (after EXIF orientation; one frame of an animation), when `ready`. Images copied before renditions existed show the size as stored. */
            width: number | null;
            height: number | null;
            bytes: number | null;
            /** @enum {string|null} */
            content_type: "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/avif" | null;
            /** @description SHA-256 of the original's bytes once downloaded; equal bytes are stored and rendered once. */
            content_sha256: string | null;
            /** @description A ThumbHash (base64) to draw while the image loads, when `ready` (null when the image could not be decoded here, as with an animated AVIF). */
            thumbhash: string | null;
            /** @description `#rrggbb`, when `ready`. */
            dominant_color: string | null;
            /** @description The renditions, largest first (empty until `ready`, and for an image published without renditions, such as an animated AVIF): the ladder's widths the original covers and, between rungs, its own width. A swatch (`image_type: swatch`) lists its square swatch renditions instead (`SWATCH_WIDTHS`, default 64, 128, 192), and its `cdn_url?width=N` serves them. For `srcset` and `<picture>`. */
            variants: components["schemas"]["Variant"][];
            /** @description Grid tiles of the deployment's tile aspects (`TILE_ASPECTS`, default `1:1`), smallest first, when `ready` (empty for a swatch, an animation, and contents rendered before tiles existed until `npm run rerender`): a packshot trimmed, centred and padded on its own backdrop; a photo within 25 % of the aspect cropped to it, any other padded whole on its edges' colour; never enlarged. `cdn_url?width=N&height=M` serves the tile of the aspect within 5 % of N:M at the smallest tile width at least N. */
            tiles: components["schemas"]["Tile"][];
        };
        Tile: {
            /** @description `width:height`, such as `1:1`. */
            aspect: string;
            width: number;
            height: number;
            /** @enum {string} */
            format: "avif" | "webp" | "jpeg" | "png";
            /** Format: uri */
            url: string;
        };
        Variant: {
            width: number;
            height: number;
            /** @enum {string} */
            format: "avif" | "webp" | "jpeg" | "png";
            /** Format: uri */
            url: string;
        };
        Product: {
            product_sku: string;
            /** @description Sorted by `order`, then `id`. */
            images: components["schemas"]["Image"][];
        };
        /** @description DRF PageNumberPagination. */
        ProductPage: {
            /** @description Exact number of products with images (0 or 1 with `product_sku`). */
            count: number;
            /**
             * Format: uri
             * @description Absolute URL of the next page (the client's scheme, host and stage), other query parameters kept, with a `cursor` position hint; null on the last page.
             */
            next: string | null;
            /**
             * Format: uri
             * @description As `next`, for the previous page; null on the first.
             */
            previous: string | null;
            results: components["schemas"]["Product"][];
        };
        /** @description Any other key (`id`, `status`, `cdn_url`, …) is ignored, so an image from a GET answer can be posted back as it is. */
        ImageRequest: {
            /**
             * Format: uri
             * @description Absolute `http` or `https` URL with a host, no user name or password; surrounding whitespace is trimmed. Two entries with the same URL: 400.
             */
            url: string;
            /** @description 0 to 2147483647, default 0; `null` counts as absent. As DRF's IntegerField, a string of digits (`"5"`) and an integral float (`5.0`) are taken as that integer; `1.5`, `"abc"` and booleans are refused. */
            order?: number | string | null;
            image_type?: components["schemas"]["ImageType"];
            /** @description Accepted and ignored (a leftover of the original document). */
            unit_type?: string;
        };
        /** @description Validation is all or nothing; a single error answers 400 and stores nothing. */
        ImageSetRequest: {
            /** @description 1 to 255 characters after trimming, no control characters. A JSON integer is stored as its decimal string, as DRF's CharField does; booleans, floats, objects and lists are refused. */
            product_sku: string | number;
            /** @description The whole new set, 0 to 100 images (the deployment's `MAX_IMAGES_PER_SKU`); `[]` deletes every image of the SKU. Each URL at most once. */
            images: components["schemas"]["ImageRequest"][];
        };
        Detail: {
            detail: string;
        };
        /**
         * @description DRF's validation errors: each field with its messages; `images` holds either messages for the list or one object per entry (`{}` for valid ones). `page` and `limit` name a bad query parameter.
         * @example {
         *       "images": [
         *         {},
         *         {
         *           "url": [
         *             "Enter a valid URL."
         *           ]
         *         },
         *         {
         *           "image_type": [
         *             "\"foo\" is not a valid choice."
         *           ]
         *         }
         *       ]
         *     }
         */
        FieldErrors: {
            [key: string]: string[] | {
                [key: string]: string[];
            }[];
        };
        /** @description Field errors, or `{"detail": "JSON parse error - …"}` for a body that is not JSON. */
        BadRequest: components["schemas"]["FieldErrors"] | components["schemas"]["Detail"];
    };
    responses: {
        /** @description Invalid request: nothing was read or written. */
        BadRequest: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["BadRequest"];
            };
        };
        /** @description `Authentication credentials were not provided.` (missing or malformed header) or `Invalid token.` (unknown or revoked key). */
        Unauthorized: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "WWW-Authenticate": components["headers"]["WWWAuthenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Invalid token."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description `Invalid page.`: a page past the end, or a followed link with nothing left past its position. */
        NotFound: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Invalid page."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description Only GET, HEAD and POST are served (deployed, the key is checked first, so a request without one answers 401). */
        MethodNotAllowed: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                Allow: components["headers"]["Allow"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Method \"PUT\" not allowed."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description `Request was throttled.` by API Gateway; retry after `Retry-After` seconds. */
        TooManyRequests: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Request was throttled."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description `A server error occurred.`: never a stack trace or an internal message. */
        ServerError: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "A server error occurred."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description DynamoDB throttled or failed past the SDK's own retries; nothing was written. Retry after `Retry-After` seconds. */
        Unavailable: {
            headers: {
                "Cache-Control": components["headers"]["CacheControl"];
                "Retry-After": components["headers"]["RetryAfter"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "detail": "Service temporarily unavailable, try again later."
                 *     }
                 */
                "application/json": components["schemas"]["Detail"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description Every answer: `no-store`. */
        CacheControl: "no-store";
        /** @description The stored version of the image set, quoted; changes only when a POST changes the set. */
        ETag: string;
        /** @description `Token` */
        WWWAuthenticate: "Token";
        /** @description `GET, POST, HEAD` */
        Allow: string;
        /** @description Seconds. */
        RetryAfter: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listImages: {
        parameters: {
            query?: {
                /** @description Exact match: `count` 1 with that product, or 0. Sent twice, the last value counts (as Django does). */
                product_sku?: string;
                /** @description 1-based. A non-integer or < 1 answers 400 `{"page": [...]}`; past the end, 404. */
                page?: number;
                /** @description Page size, default 10; above 100 it is lowered to 100, as DRF's max_page_size does. A non-integer or < 1 answers 400. */
                limit?: number;
                /** @description The position hint `next` and `previous` links carry: opaque, signed. With it a page is read from that position at the same cost at any depth; one that does not match `page` and `limit` (or was edited) is ignored and the page is read by number. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of products in SKU order (byte order of UTF-8). */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    /** @description With `product_sku` of a product that exists: its stored version. */
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProductPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    putNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
    replaceImages: {
        parameters: {
            query?: never;
            header?: {
                /** @description Entity tags (or `*`), as a list or on several lines: 412 unless the stored version is one of them. */
                "If-Match"?: string;
                /** @description `*`: 412 when the SKU already has images. Tags: 412 when the stored version is one of them. */
                "If-None-Match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        /** @description JSON, at most 1 MiB. */
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImageSetRequest"];
            };
        };
        responses: {
            /** @description The SKU had images before; the stored set. */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description The SKU had no images before; the stored set. */
            201: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Product"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description Concurrent POSTs to this SKU kept winning; nothing was written. Retry. */
            409: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description `If-Match` or `If-None-Match` did not hold; nothing was written. */
            412: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description The body is over 1 MiB. */
            413: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description Not `application/json`: `Unsupported media type "X" in request.` */
            415: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
    headImages: {
        parameters: {
            query?: {
                /** @description Exact match: `count` 1 with that product, or 0. Sent twice, the last value counts (as Django does). */
                product_sku?: string;
                /** @description 1-based. A non-integer or < 1 answers 400 `{"page": [...]}`; past the end, 404. */
                page?: number;
                /** @description Page size, default 10; above 100 it is lowered to 100, as DRF's max_page_size does. A non-integer or < 1 answers 400. */
                limit?: number;
                /** @description The position hint `next` and `previous` links carry: opaque, signed. With it a page is read from that position at the same cost at any depth; one that does not match `page` and `limit` (or was edited) is ignored and the page is read by number. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of products in SKU order (byte order of UTF-8). */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    /** @description With `product_sku` of a product that exists: its stored version. */
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProductPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    patchNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
    listImagesWithoutSlash: {
        parameters: {
            query?: {
                /** @description Exact match: `count` 1 with that product, or 0. Sent twice, the last value counts (as Django does). */
                product_sku?: string;
                /** @description 1-based. A non-integer or < 1 answers 400 `{"page": [...]}`; past the end, 404. */
                page?: number;
                /** @description Page size, default 10; above 100 it is lowered to 100, as DRF's max_page_size does. A non-integer or < 1 answers 400. */
                limit?: number;
                /** @description The position hint `next` and `previous` links carry: opaque, signed. With it a page is read from that position at the same cost at any depth; one that does not match `page` and `limit` (or was edited) is ignored and the page is read by number. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of products in SKU order (byte order of UTF-8). */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    /** @description With `product_sku` of a product that exists: its stored version. */
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProductPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    putWithoutSlashNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
    replaceImagesWithoutSlash: {
        parameters: {
            query?: never;
            header?: {
                /** @description Entity tags (or `*`), as a list or on several lines: 412 unless the stored version is one of them. */
                "If-Match"?: string;
                /** @description `*`: 412 when the SKU already has images. Tags: 412 when the stored version is one of them. */
                "If-None-Match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        /** @description JSON, at most 1 MiB. */
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImageSetRequest"];
            };
        };
        responses: {
            /** @description The SKU had images before; the stored set. */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description The SKU had no images before; the stored set. */
            201: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Product"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description Concurrent POSTs to this SKU kept winning; nothing was written. Retry. */
            409: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description `If-Match` or `If-None-Match` did not hold; nothing was written. */
            412: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description The body is over 1 MiB. */
            413: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            /** @description Not `application/json`: `Unsupported media type "X" in request.` */
            415: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Detail"];
                };
            };
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteWithoutSlashNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
    headImagesWithoutSlash: {
        parameters: {
            query?: {
                /** @description Exact match: `count` 1 with that product, or 0. Sent twice, the last value counts (as Django does). */
                product_sku?: string;
                /** @description 1-based. A non-integer or < 1 answers 400 `{"page": [...]}`; past the end, 404. */
                page?: number;
                /** @description Page size, default 10; above 100 it is lowered to 100, as DRF's max_page_size does. A non-integer or < 1 answers 400. */
                limit?: number;
                /** @description The position hint `next` and `previous` links carry: opaque, signed. With it a page is read from that position at the same cost at any depth; one that does not match `page` and `limit` (or was edited) is ignored and the page is read by number. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of products in SKU order (byte order of UTF-8). */
            200: {
                headers: {
                    "Cache-Control": components["headers"]["CacheControl"];
                    /** @description With `product_sku` of a product that exists: its stored version. */
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProductPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["TooManyRequests"];
            500: components["responses"]["ServerError"];
            503: components["responses"]["Unavailable"];
        };
    };
    patchWithoutSlashNotAllowed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            401: components["responses"]["Unauthorized"];
            405: components["responses"]["MethodNotAllowed"];
        };
    };
}
