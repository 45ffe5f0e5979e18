import { type ProductView, toProductView, type ViewOptions } from './image';
import { type PageLinks, type PageRequest, pageLinks, pageWindow, type RequestAddress } from './pagination';
import type { ImageSetRepository } from './ports';
import { validateSku } from './validation';

export interface ProductPage extends PageLinks {
  count: number;
  results: ProductView[];
}

/** One page of every product with images, in SKU order. */
export async function listProducts(
  repository: ImageSetRepository,
  request: PageRequest,
  address: RequestAddress,
  view: ViewOptions,
): Promise<ProductPage> {
  const offset = (request.page - 1) * request.limit;
  const { count, products } = await repository.listProducts(offset, request.limit);
  const window = pageWindow(request, count);
  return {
    count,
    ...pageLinks(address, request, window),
    results: products.map((set) => toProductView(set.sku, set.images, view)),
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
  return {
    page: { count, ...pageLinks(address, request, window), results: onPage },
    version: set?.version ?? null,
  };
}
