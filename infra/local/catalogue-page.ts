import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { guideFiles } from './guide-pages';
import type { LocalFile } from './http-server';
import { encodePng } from './sample-images';

/**
 * Local mode's catalogue page at `/`, a storefront grid: each product one square tile (its first
 * default image's 1:1 `tiles`, AVIF, WebP, then the fallback, each with a `srcset`) with its swatches as
 * small circles under it (their swatch renditions), a ThumbHash drawn while each loads. A click on a
 * product opens every image of it as `<picture>` elements built from `variants`, with each image's status
 * and error: the view a merchant wants after an import. It asks for the API key once and keeps it in the
 * tab's session storage. Everything on it is built with DOM calls and `textContent`, never HTML strings,
 * so a SKU or URL cannot inject markup.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>product-images · local catalogue</title>
<link rel="icon" href="/favicon.ico">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem; color: #222; }
  header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; flex: 1; }
  section { border-top: 1px solid #ddd; padding: .75rem 0; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  /* Columns by viewport width, so SIZES and TILE_SIZES below can say exactly how wide a cell is. */
  .images { display: grid; grid-template-columns: 1fr; gap: .75rem; }
  @media (min-width: 700px) { .images { grid-template-columns: repeat(2, 1fr); } }
  @media (min-width: 1000px) { .images { grid-template-columns: repeat(3, 1fr); } }
  [hidden] { display: none !important; }
  .grid { display: grid; grid-template-columns: repeat(2, 1fr); gap: .75rem; }
  @media (min-width: 700px) { .grid { grid-template-columns: repeat(3, 1fr); } }
  @media (min-width: 1000px) { .grid { grid-template-columns: repeat(4, 1fr); } }
  .card { all: unset; cursor: pointer; display: block; min-width: 0; }
  .card:focus-visible { outline: 2px solid #36c; }
  .tile, .tile img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 4px; background: #eee; }
  .name { display: block; font-size: .85rem; margin-top: .25rem; overflow-wrap: anywhere; }
  .swatches { display: flex; gap: 4px; margin-top: .25rem; min-height: 24px; }
  .swatches img { width: 24px; height: 24px; border-radius: 50%; border: 1px solid #ccc; object-fit: cover; }
  figure { margin: 0; }
  img { display: block; width: 100%; height: auto; background-size: cover; border-radius: 4px; }
  figcaption { font-size: .85rem; color: #555; margin-top: .25rem; overflow-wrap: anywhere; }
  .failed { color: #a00; }
  .placeholder { aspect-ratio: 1; background: #eee; border-radius: 4px; display: grid; place-items: center; color: #777; }
</style>
</head>
<body>
<header>
  <h1>Products</h1>
  <nav><a href="/guide/">Docs</a> · <a href="/guide/storefront.md">Showing these images in a storefront</a> · <a href="/docs">API reference</a></nav>
  <form id="key-form" hidden>
    <label>API key <input id="key" type="password" autocomplete="off" required></label>
    <button type="submit">Show products</button>
  </form>
  <button id="forget" type="button" hidden>Forget the key</button>
</header>
<p id="message" role="status"></p>
<p><button id="back" type="button" hidden>All products</button></p>
<main id="products" class="grid"></main>
<section id="detail" hidden></section>
<p><button id="more" type="button" hidden>More products</button></p>
<script type="module">
import { thumbHashToDataURL } from '/assets/thumbhash.js';

const RESOURCE = '/api/i1/downloadable_image/';
const STORAGE = 'product-images.api-key';
// A cell's width in the layout above: the page is 100vw less 2rem of padding (at most 1100px), split
// into 1, 2 or 3 columns with .75rem gaps. The browser multiplies it by the screen's pixel ratio and
// takes the smallest rung at least that wide: a 400 px phone at 2x wants 736 px.
const SIZES = [
  '(min-width: 1132px) 359px',
  '(min-width: 1000px) calc((100vw - 3.5rem) / 3)',
  '(min-width: 700px) calc((100vw - 2.75rem) / 2)',
  'calc(100vw - 2rem)',
].join(', ');
// A grid cell: 2, 3 or 4 columns with .75rem gaps in the same page width. A 400 px phone at 2x wants
// 356 px: the 360 px tile.
const TILE_SIZES = [
  '(min-width: 1132px) 266px',
  '(min-width: 1000px) calc((100vw - 4.25rem) / 4)',
  '(min-width: 700px) calc((100vw - 3.5rem) / 3)',
  'calc((100vw - 2.75rem) / 2)',
].join(', ');
// Swatches are drawn 24 px wide: the 64 px rung serves them up to 2.6x.
const SWATCH_SIZES = '24px';
const FALLBACKS = ['jpeg', 'png'];
const $ = (id) => document.getElementById(id);
let next = null;

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function srcset(variants) {
  return variants.map((variant) => variant.url + ' ' + variant.width + 'w').join(', ');
}

/** A <picture> of the renditions given (one format each in a <source>, the fallback in the <img>). */
function pictureOf(image, renditions, sizes, properties) {
  const byFormat = (format) => renditions.filter((rendition) => rendition.format === format);
  const fallback = FALLBACKS.map(byFormat).find((list) => list.length > 0);
  const img = element('img', {
    alt: '',
    sizes,
    decoding: 'async',
    src: fallback ? fallback[0].url : image.cdn_url,
    ...properties,
  });
  if (fallback) img.srcset = srcset(fallback);
  if (image.thumbhash) {
    const hash = Uint8Array.from(atob(image.thumbhash), (c) => c.charCodeAt(0));
    img.style.backgroundImage = 'url(' + thumbHashToDataURL(hash) + ')';
    img.addEventListener('load', () => { img.style.backgroundImage = ''; }, { once: true });
  }
  const sources = ['avif', 'webp']
    .map((format) => [format, byFormat(format)])
    .filter(([, list]) => list.length > 0)
    .map(([format, list]) => element('source', { type: 'image/' + format, srcset: srcset(list), sizes }));
  return element('picture', {}, ...sources, img);
}

function picture(image) {
  return pictureOf(image, image.variants, SIZES, { width: image.width, height: image.height });
}

function figure(image) {
  const caption = element('figcaption', {}, image.status + ' · ' + image.image_type + ' · ' + image.url);
  if (image.status === 'ready') {
    return element('figure', { className: 'image ready' }, picture(image), caption);
  }
  const note = image.status === 'failed' ? 'failed: ' + image.error : 'pending…';
  const box = element('div', { className: 'placeholder' + (image.status === 'failed' ? ' failed' : '') }, note);
  if (image.status === 'failed') caption.classList.add('failed');
  return element('figure', { className: 'image ' + image.status }, box, caption);
}

/** Every image of a product, as today's view shows them. */
function product(entry) {
  return element(
    'section',
    { className: 'product' },
    element('h2', {}, entry.product_sku + ' (' + entry.images.length + ' images)'),
    element('div', { className: 'images' }, ...entry.images.map(figure)),
  );
}

/** The product's grid tile: its first ready default image's square tiles (or its ladder, cropped). */
function tile(entry) {
  const ready = entry.images.filter((image) => image.status === 'ready');
  const shown = ready.find((image) => image.image_type !== 'swatch') || ready[0];
  if (!shown) return element('div', { className: 'tile placeholder' }, entry.images.length ? 'pending…' : 'no images');
  const square = shown.tiles.filter((each) => each.aspect === '1:1');
  return element(
    'div',
    { className: 'tile' },
    pictureOf(shown, square.length > 0 ? square : shown.variants, TILE_SIZES, { width: 1, height: 1 }),
  );
}

function card(entry) {
  const swatches = entry.images
    .filter((image) => image.image_type === 'swatch' && image.status === 'ready')
    .map((image) => pictureOf(image, image.variants, SWATCH_SIZES, { width: 24, height: 24, className: 'swatch' }));
  const button = element(
    'button',
    { type: 'button', className: 'card' },
    tile(entry),
    element('span', { className: 'name' }, entry.product_sku),
    element('span', { className: 'swatches' }, ...swatches),
  );
  button.addEventListener('click', () => showProduct(entry));
  return button;
}

function showProduct(entry) {
  $('detail').replaceChildren(product(entry));
  $('detail').hidden = false;
  $('products').hidden = true;
  $('more').hidden = true;
  $('back').hidden = false;
}

$('back').addEventListener('click', () => {
  $('detail').hidden = true;
  $('detail').replaceChildren();
  $('products').hidden = false;
  $('back').hidden = true;
  $('more').hidden = !next;
});

function askForKey(message) {
  sessionStorage.removeItem(STORAGE);
  $('message').textContent = message;
  $('key-form').hidden = false;
  $('forget').hidden = true;
  $('more').hidden = true;
  $('products').replaceChildren();
  $('detail').replaceChildren();
}

async function load(url, append) {
  const key = sessionStorage.getItem(STORAGE);
  if (!key) return askForKey('Enter an API key (npm start printed one).');
  const answer = await fetch(url, { headers: { Authorization: 'Token ' + key } });
  if (answer.status === 401) return askForKey('That key was refused. Enter another.');
  const body = await answer.json();
  if (!answer.ok) {
    $('message').textContent = body.detail || 'The API answered ' + answer.status + '.';
    return;
  }
  $('key-form').hidden = true;
  $('forget').hidden = false;
  $('message').textContent = body.count + ' products';
  const cards = body.results.map(card);
  if (append) $('products').append(...cards);
  else $('products').replaceChildren(...cards);
  next = body.next;
  $('more').hidden = !next;
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(STORAGE, $('key').value.trim());
  $('key').value = '';
  load(RESOURCE, false);
});
$('forget').addEventListener('click', () => askForKey('Key forgotten.'));
$('more').addEventListener('click', () => next && load(next, true));
load(RESOURCE, false);
</script>
</body>
</html>
`;

const require = createRequire(import.meta.url);

/** A 32×32 icon: a PNG in an ICO container (which every browser reads), drawn here, nothing downloaded. */
function favicon(): Buffer {
  const size = 32;
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x - 15.5, y - 15.5) < 15;
      data.set(inside ? [196, 40, 48, 255] : [0, 0, 0, 0], (y * size + x) * 4);
    }
  }
  const png = encodePng({ width: size, height: size, channels: 4, data });
  const header = Buffer.alloc(22);
  header.writeUInt16LE(1, 2); // an icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(size, 6);
  header.writeUInt8(size, 7);
  header.writeUInt16LE(1, 10); // colour planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(header.length, 18);
  return Buffer.concat([header, png]);
}

/**
 * The page, the ThumbHash module it imports (the package's own ES module, served as it is) and the docs
 * it links to.
 */
export function localSiteFiles(): Map<string, LocalFile> {
  return new Map<string, LocalFile>([
    ...guideFiles(),
    ['/', { contentType: 'text/html; charset=utf-8', bytes: Buffer.from(PAGE, 'utf8') }],
    ['/favicon.ico', { contentType: 'image/x-icon', bytes: favicon() }],
    [
      '/assets/thumbhash.js',
      {
        contentType: 'text/javascript; charset=utf-8',
        bytes: () => readFile(require.resolve('thumbhash')),
      },
    ],
  ]);
}
