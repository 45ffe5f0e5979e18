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
// Storefront slots are named in the key too: `/<a>x<b>f<fill>-<rungs>` segments are grid tile sets
// (`?width=N&height=M` with N:M within 5 % of a:b picks the smallest tile rung at least N wide, else the
// largest), `/s<rungs>` the square swatch rungs. A swatch image's `cdn_url` is its original's key with
// `/swatch` after it: `?width=N` picks a swatch rung, no width serves the original.
//
// Kept as plain JavaScript so the same file runs in CloudFront, in the unit tests and in local mode's
// CDN proxy.

// Contents rendered before rungs were in the key have `/o/<sha>/<width>/<kind>` URLs, rendered with
// this ladder and the rule of that time (the rungs the original covers): routed the same way forever.
const LEGACY_WIDTHS = [352, 832, 1200, 1920];

const ORIGINAL =
  /^\/o\/([0-9a-f]{64})\/(jpeg|png|animated)\/([1-9][0-9]{0,3}(?:-[1-9][0-9]{0,3}){0,15})((?:\/[1-9][0-9]?x[1-9][0-9]?f[1-9][0-9]{1,2}-[1-9][0-9]{0,3}(?:-[1-9][0-9]{0,3}){0,7}){0,4})(?:\/s([1-9][0-9]{0,3}(?:-[1-9][0-9]{0,3}){0,7}))?(\/swatch)?$/;
const TILE_SET = /^([1-9][0-9]?)x([1-9][0-9]?)f[1-9][0-9]{1,2}$/;
// How close a requested width:height must be to a tile set's aspect to be served that tile.
const ASPECT_TOLERANCE = 1.05;
const UNRENDERED_ORIGINAL = /^\/o\/[0-9a-f]{64}\/original$/;
const LEGACY_ORIGINAL = /^\/o\/([0-9a-f]{64})\/([1-9][0-9]{0,5})\/(jpeg|png|animated)$/;
const REQUESTED_WIDTH = /^[1-9][0-9]{0,5}$/;

function legacyLadder(originalWidth) {
  const covered = LEGACY_WIDTHS.filter((width) => width <= originalWidth);
  return covered.length > 0 ? covered : [originalWidth];
}

// The content's hash, kind and rungs from an original's URI; null for any other path.
function widths(text) {
  return text.split('-').map(Number);
}

// `/1x1f90-180-360/4x5f90-180-360` → [{ set: '1x1f90', aspect: 1, rungs: [180, 360] }, …]
function tileSets(text) {
  if (!text) return [];
  return text
    .split('/')
    .slice(1)
    .map((segment) => {
      const dash = segment.indexOf('-');
      const set = segment.slice(0, dash);
      const aspect = TILE_SET.exec(set);
      return {
        set: set,
        aspect: Number(aspect[1]) / Number(aspect[2]),
        rungs: widths(segment.slice(dash + 1)),
      };
    });
}

function original(uri) {
  const current = ORIGINAL.exec(uri);
  if (current) {
    const swatchView = current[6] !== undefined;
    return {
      sha: current[1],
      kind: current[2],
      rungs: widths(current[3]),
      tiles: tileSets(current[4]),
      swatches: current[5] ? widths(current[5]) : [],
      swatchView: swatchView,
      // The stored original: the key without the view's suffix.
      key: swatchView ? uri.slice(0, uri.length - '/swatch'.length) : uri,
    };
  }
  const legacy = LEGACY_ORIGINAL.exec(uri);
  if (legacy) {
    const rungs = legacyLadder(Number(legacy[2]));
    return {
      sha: legacy[1],
      kind: legacy[3],
      rungs: rungs,
      tiles: [],
      swatches: [],
      swatchView: false,
      key: uri,
    };
  }
  return null;
}

// The tile set whose aspect is nearest `requested` (width / height), within the tolerance; null if none.
function tileSetFor(sets, requested) {
  let best = null;
  let bestDistance = ASPECT_TOLERANCE;
  for (const candidate of sets) {
    const distance = Math.max(candidate.aspect / requested, requested / candidate.aspect);
    if (distance <= bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
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

function requestedSize(querystring, name) {
  const size = querystring[name];
  if (!size) return null;
  // A repeated parameter takes its last value, as the API does.
  const value = size.multiValue ? size.multiValue[size.multiValue.length - 1].value : size.value;
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
  const requested = requestedSize(request.querystring, 'width');
  const requestedHeight = requestedSize(request.querystring, 'height');
  request.querystring = {};
  request.uri = match.key;
  if (requested === null) return request;
  const kind = match.kind;
  const accept = request.headers.accept ? request.headers.accept.value : '';
  let format;
  if (kind !== 'animated' && accepts(accept, 'image/avif')) format = 'avif';
  else if (accepts(accept, 'image/webp')) format = 'webp';
  else if (kind === 'animated') return request;
  else format = kind;
  if (match.swatchView && match.swatches.length > 0) {
    request.uri = `/v/${match.sha}/s/${rung(match.swatches, requested)}.${format}`;
    return request;
  }
  const tileSet = requestedHeight === null ? null : tileSetFor(match.tiles, requested / requestedHeight);
  if (tileSet) {
    request.uri = `/v/${match.sha}/${tileSet.set}/${rung(tileSet.rungs, requested)}.${format}`;
    return request;
  }
  request.uri = `/v/${match.sha}/${rung(match.rungs, requested)}.${format}`;
  return request;
}
