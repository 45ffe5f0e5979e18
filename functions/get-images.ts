import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { findProduct, listProducts } from '../lib/domain/list-products';
import { lastQueryValue, parsePageRequest } from '../lib/domain/pagination';
import { etagOf } from '../lib/domain/preconditions';
import { type ApiEvent, type ApiResult, queryPairs, requestAddress } from '../lib/http/event';
import { apiEnvelope, requireApiKey, route } from '../lib/http/middleware';
import { observability } from '../lib/http/observability';
import { jsonResponse } from '../lib/http/responses';
import { type ApiDependencies, createApiDependencies } from '../lib/service';

/** GET (and HEAD) /api/i1/downloadable_image/: every product's images, or one product's by `product_sku`. */
export function createGetImagesHandler(deps: ApiDependencies) {
  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(observability(deps))
    .use(apiEnvelope(deps.logger))
    .use(route(['GET', 'HEAD']))
    .use(requireApiKey(deps.authenticate))
    .handler(async (event) => {
      const query = queryPairs(event);
      const pageRequest = parsePageRequest(query);
      const address = requestAddress(event);
      const sku = lastQueryValue(query, 'product_sku');
      if (sku === undefined || sku === '') {
        return jsonResponse(200, await listProducts(deps.repository, pageRequest, address, deps.config));
      }
      const { page, version } = await findProduct(deps.repository, sku, pageRequest, address, deps.config);
      return jsonResponse(200, page, version === null ? {} : { ETag: etagOf(version) });
    });
}

export const handler = createGetImagesHandler(createApiDependencies(loadConfig()));
