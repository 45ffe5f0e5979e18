import { NotFoundError, ValidationError } from './errors';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  page: number;
  limit: number;
  /** The position hint of a `next`/`previous` link, as sent; checked before it is used. */
  cursor?: string;
}

/** Query parameters as the client sent them, in order, repeated keys kept. */
export type QueryPairs = ReadonlyArray<readonly [string, string]>;

/** A parameter sent more than once reads as its last value, as Django's `QueryDict[name]` does. */
export function lastQueryValue(query: QueryPairs, name: string): string | undefined {
  return query.findLast(([key]) => key === name)?.[1];
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\s*\+?\d{1,15}\s*$/.test(raw))
    throw new ValidationError({ [name]: ['A valid integer is required.'] });
  const value = Number(raw);
  if (value < 1) throw new ValidationError({ [name]: ['Ensure this value is greater than or equal to 1.'] });
  return value;
}

/** `page` and `limit` as DRF's PageNumberPagination reads them; a `limit` above the maximum is lowered to it. */
export function parsePageRequest(query: QueryPairs): PageRequest {
  const page = positiveInteger('page', lastQueryValue(query, 'page'), 1);
  const limit = Math.min(
    positiveInteger('limit', lastQueryValue(query, 'limit'), DEFAULT_PAGE_SIZE),
    MAX_PAGE_SIZE,
  );
  const cursor = lastQueryValue(query, 'cursor');
  return cursor ? { page, limit, cursor } : { page, limit };
}

export interface PageWindow {
  offset: number;
  limit: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

/** Where a page starts among `count` items; page 1 always exists, an empty one included. */
export function pageWindow(request: PageRequest, count: number): PageWindow {
  const pageCount = Math.max(1, Math.ceil(count / request.limit));
  if (request.page > pageCount) throw new NotFoundError('Invalid page.');
  const offset = (request.page - 1) * request.limit;
  return {
    offset,
    limit: request.limit,
    hasPrevious: request.page > 1,
    hasNext: request.page < pageCount,
  };
}

/** The address the client called, as DRF's `build_absolute_uri` sees it. */
export interface RequestAddress {
  scheme: string;
  host: string;
  path: string;
  query: QueryPairs;
}

/** Where a link leads: a page number (1 is written as no `page`, as DRF does) and its position hint. */
export interface PageTarget {
  page: number;
  cursor?: string;
}

/** DRF's replace_query_param / remove_query_param: keys sorted, `page` set or dropped, `cursor` set or dropped. */
function linkWith(address: RequestAddress, target: PageTarget): string {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of address.query) {
    if (key === 'page' || key === 'cursor') continue;
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  if (target.page > 1) grouped.set('page', [String(target.page)]);
  if (target.cursor) grouped.set('cursor', [target.cursor]);
  const params = new URLSearchParams();
  for (const key of [...grouped.keys()].sort()) {
    for (const value of grouped.get(key) ?? []) params.append(key, value);
  }
  const query = params.toString();
  return `${address.scheme}://${address.host}${address.path}${query ? `?${query}` : ''}`;
}

export interface PageLinks {
  next: string | null;
  previous: string | null;
}

export function pageLinks(
  address: RequestAddress,
  targets: { next: PageTarget | null; previous: PageTarget | null },
): PageLinks {
  return {
    next: targets.next ? linkWith(address, targets.next) : null,
    previous: targets.previous ? linkWith(address, targets.previous) : null,
  };
}
