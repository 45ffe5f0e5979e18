import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { ApiError, ValidationError } from '../lib/domain/errors';
import { toProductView } from '../lib/domain/image';
import { etagOf, parseEntityTags } from '../lib/domain/preconditions';
import { replaceImages } from '../lib/domain/replace-images';
import { validateUpsertRequest } from '../lib/domain/validation';
import { type ApiEvent, type ApiResult, header } from '../lib/http/event';
import { apiEnvelope, jsonBody, requireApiKey, route } from '../lib/http/middleware';
import { observability } from '../lib/http/observability';
import { jsonResponse } from '../lib/http/responses';
import { outcomeOfStatus, type PostMetrics } from '../lib/metrics';
import { type ApiDependencies, createApiDependencies } from '../lib/service';

/** Counts a POST the service refused (400, 401, 409, 412, 413, 415, 503, 500) by the kind of refusal. */
function countRefusals(postMetrics: PostMetrics): MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  return {
    onError: ({ error }) => {
      postMetrics.outcome(outcomeOfStatus(error instanceof ApiError ? error.statusCode : 500));
    },
  };
}

/** POST /api/i1/downloadable_image/: replaces one product's image set, all or nothing. */
export function createPostImagesHandler(deps: ApiDependencies) {
  const { config } = deps;
  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(observability(deps))
    .use(apiEnvelope(deps.logger))
    .use(route(['POST']))
    .use(countRefusals(deps.postMetrics))
    .use(requireApiKey(deps.authenticate))
    .use(jsonBody({ maxBytes: config.maxBodyBytes }))
    .handler(async (event) => {
      const request = validateUpsertRequest(event.jsonBody, { maxImagesPerSku: config.maxImagesPerSku });
      if (!request.ok) throw new ValidationError(request.errors);
      const preconditions = {
        ifMatch: parseEntityTags(header(event, 'if-match')),
        ifNoneMatch: parseEntityTags(header(event, 'if-none-match')),
      };
      const { sku, images } = request.value;
      const result = await replaceImages(
        { repository: deps.repository, ids: deps.ids, maxAttempts: config.maxWriteAttempts },
        sku,
        images,
        preconditions,
      );
      const outcome = !result.changed
        ? 'unchanged'
        : result.created
          ? 'created'
          : result.set
            ? 'replaced'
            : 'deleted';
      deps.postMetrics.outcome(outcome, result);
      deps.logger.info('image set replaced', {
        sku,
        images: result.set?.images.length ?? 0,
        outcome,
        added: result.added,
        removed: result.removed,
        keyName: event.principal,
      });
      const headers: Record<string, string> = result.set ? { ETag: etagOf(result.set.version) } : {};
      return jsonResponse(
        result.created ? 201 : 200,
        toProductView(sku, result.set?.images ?? [], config),
        headers,
      );
    });
}

export const handler = createPostImagesHandler(createApiDependencies(loadConfig()));
