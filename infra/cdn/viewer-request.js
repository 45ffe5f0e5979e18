// CloudFront Function (cloudfront-js-2.0), viewer request: picks the rendition a `cdn_url` asks for.
//
// A `cdn_url` is `/o/<sha256>/<kind>/<rungs>`: the original, whose key lists every rung rendered for it
// (`/o/<sha>/jpeg/352-800`). `?width=N` asks for the smallest of those rungs at least N pixels wide (else
// the largest), in the best format the `Accept` header allows: AVIF, then WebP, then the fallback
// (`jpeg` or `png`; an animation has WebP rungs only and falls back to the original). The rungs come
// from the URL, so the function needs no lookup and no ladder of its own: a URL names only renditions
// that exist, whatever `VARIANT_WIDTHS` says now. `/o/<sha>/original` (an image the renderer could not
// decode) has no rungs: every width gets the original. The query string is dropped and the URI
// rewritten to the rendition's key: the cache key is that key alone, never the raw `Accept` header.
// Any other path passes through unchanged.
//
// Kept as plain JavaScript so the same file runs in CloudFront, in the unit tests and in local mode's
// CDN proxy.

// Contents rendered before rungs were in the key have `/o/<sha>/<width>/<kind>` URLs, rendered with
// this ladder and the rule of that time (the rungs the original covers): routed the same way forever.
const LEGACY_WIDTHS = [352, 832, 1200, 1920];

const ORIGINAL = /^\/o\/([0-9a-f]{64})\/(jpeg|png|animated)\/([1-9][0-9]{0,3}(?:-[1-9][0-9]{0,3}){0,15})$/;
const UNRENDERED_ORIGINAL = /^\/o\/[0-9a-f]{64}\/original$/;
const LEGACY_ORIGINAL = /^\/o\/([0-9a-f]{64})\/([1-9][0-9]{0,5})\/(jpeg|png|animated)$/;
const REQUESTED_WIDTH = /^[1-9][0-9]{0,5}$/;

function legacyLadder(originalWidth) {
  const covered = LEGACY_WIDTHS.filter((width) => width <= originalWidth);
  return covered.length > 0 ? covered : [originalWidth];
}

// The content's hash, kind and rungs from an original's URI; null for any other path.
function original(uri) {
  const current = ORIGINAL.exec(uri);
  if (current) return { sha: current[1], kind: current[2], rungs: current[3].split('-').map(Number) };
  const legacy = LEGACY_ORIGINAL.exec(uri);
  if (legacy) return { sha: legacy[1], kind: legacy[3], rungs: legacyLadder(Number(legacy[2])) };
  return null;
}

function rung(widths, requested) {
  const ascending = widths.slice().sort((a, b) => a - b);
  const wide = ascending.filter((width) => width >= requested);
  return wide.length > 0 ? wide[0] : ascending[ascending.length - 1];
}

// True when `Accept` names the type with a non-zero quality. Wildcards do not count: `*/*` is sent by
// clients that have never heard of AVIF, so they get the fallback.
function accepts(accept, type) {
  return accept
    .toLowerCase()
    .split(',')
    .some((range) => {
      const parts = range.split(';');
      if (parts[0].trim() !== type) return false;
      const qualities = parts
        .slice(1)
        .map((parameter) => parameter.trim())
        .filter((parameter) => parameter.indexOf('q=') === 0);
      return qualities.length === 0 || Number(qualities[0].slice(2)) > 0;
    });
}

function requestedWidth(querystring) {
  const width = querystring.width;
  if (!width) return null;
  // A repeated parameter takes its last value, as the API does.
  const value = width.multiValue ? width.multiValue[width.multiValue.length - 1].value : width.value;
  return REQUESTED_WIDTH.test(value) ? Number(value) : null;
}

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls it.
function handler(event) {
  const request = event.request;
  if (UNRENDERED_ORIGINAL.test(request.uri)) {
    request.querystring = {};
    return request;
  }
  const match = original(request.uri);
  if (!match) return request;
  const requested = requestedWidth(request.querystring);
  request.querystring = {};
  if (requested === null) return request;
  const kind = match.kind;
  const accept = request.headers.accept ? request.headers.accept.value : '';
  let format;
  if (kind !== 'animated' && accepts(accept, 'image/avif')) format = 'avif';
  else if (accepts(accept, 'image/webp')) format = 'webp';
  else if (kind === 'animated') return request;
  else format = kind;
  request.uri = `/v/${match.sha}/${rung(match.rungs, requested)}.${format}`;
  return request;
}
