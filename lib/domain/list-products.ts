import { NotFoundError } from './errors';
import { type ProductView, toProductView, type ViewOptions } from './image';
import { decodeCursor, encodeCursor, type PageCursor } from './page-cursor';
import {
  type PageLinks,
  type PageRequest,
  type PageTarget,
  pageLinks,
  pageWindow,
  type RequestAddress,
} from './pagination';
import type { ImageSetRepository, ProductListing } from './ports';
import { validateSku } from './validation';

export interface ProductPage extends PageLinks {
  count: number;
  results: ProductView[];
}

export interface ListOptions extends ViewOptions {
  /** Signs and checks the position hints of `next` and `previous` links. */
  cursorKey: string;
}

/** The position hint, when it was made by us for exactly this page and page size; otherwise none. */
function usableCursor(request: PageRequest, key: string): PageCursor | null {
  const cursor = request.cursor ? decodeCursor(request.cursor, key) : null;
  return cursor && cursor.page === request.page && cursor.limit === request.limit ? cursor : null;
}

/**
 * One page of every product with images, in SKU order. Following `next` or `previous` reads from the
 * position its hint names: one read of `limit` keys at any depth, and a walk through the links sees
 * every product that exists throughout it exactly once, whatever is created or deleted meanwhile. A
 * page asked for by number alone (or with a hint that does not match it) is read by offset, as DRF does.
 */
export async function listProducts(
  repository: ImageSetRepository,
  request: PageRequest,
  address: RequestAddress,
  options: ListOptions,
): Promise<ProductPage> {
  const { page, limit } = request;
  const cursor = usableCursor(request, options.cursorKey);
  const target = (targetPage: number, position: PageCursor['position']): PageTarget => ({
    page: targetPage,
    cursor: encodeCursor({ page: targetPage, limit, position }, options.cursorKey),
  });

  let listing: ProductListing;
  let next: PageTarget | null;
  let previous: PageTarget | null;
  if (cursor) {
    listing = await repository.listProducts(cursor.position, limit);
    const first = listing.products[0]?.sku;
    const last = listing.products[listing.products.length - 1]?.sku;
    // Nothing left on that side of the hint: the walk has ended there.
    if (first === undefined || last === undefined) throw new NotFoundError('Invalid page.');
    const forward = 'after' in cursor.position;
    next = !forward || listing.more ? target(page + 1, { after: last }) : null;
    previous = (forward ? page > 1 : listing.more) ? target(Math.max(1, page - 1), { before: first }) : null;
  } else {
    listing = await repository.listProducts({ offset: (page - 1) * limit }, limit);
    const window = pageWindow(request, listing.count);
    const first = listing.products[0]?.sku;
    const last = listing.products[listing.products.length - 1]?.sku;
    next = window.hasNext
      ? last === undefined
        ? { page: page + 1 }
        : target(page + 1, { after: last })
      : null;
    previous = window.hasPrevious
      ? first === undefined
        ? { page: page - 1 }
        : target(page - 1, { before: first })
      : null;
  }
  return {
    count: listing.count,
    ...pageLinks(address, { next, previous }),
    results: listing.products.map((set) => toProductView(set.sku, set.images, options)),
  };
}

/** The `?product_sku=` filter: one product or none, paginated like the full list. */
export async function findProduct(
  repository: ImageSetRepository,
  rawSku: string,
  request: PageRequest,
  address: RequestAddress,
  view: ViewOptions,
): Promise<{ page: ProductPage; version: string | null }> {
  const sku = validateSku(rawSku);
  // A value that could never be stored matches nothing; it is not worth a read.
  const set = sku.ok ? await repository.find(sku.value) : null;
  const count = set ? 1 : 0;
  const window = pageWindow(request, count);
  const onPage = set && window.offset === 0 ? [toProductView(set.sku, set.images, view)] : [];
  const links = pageLinks(address, {
    next: window.hasNext ? { page: request.page + 1 } : null,
    previous: window.hasPrevious ? { page: request.page - 1 } : null,
  });
  return { page: { count, ...links, results: onPage }, version: set?.version ?? null };
}
