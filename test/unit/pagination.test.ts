import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../lib/domain/errors';
import { pageLinks, pageWindow, parsePageRequest, type RequestAddress } from '../../lib/domain/pagination';

const address = (query: Array<[string, string]>): RequestAddress => ({
  scheme: 'https',
  host: 'api.example.test',
  path: '/prod/api/i1/downloadable_image/',
  query,
});

describe('parsePageRequest', () => {
  it('defaults to page 1 of 10', () => {
    expect(parsePageRequest([])).toEqual({ page: 1, limit: 10 });
  });

  it('lowers a limit above 100 to 100, as DRF does', () => {
    expect(parsePageRequest([['limit', '500']])).toEqual({ page: 1, limit: 100 });
  });

  it.each([
    ['page', 'abc', 'A valid integer is required.'],
    ['page', '0', 'Ensure this value is greater than or equal to 1.'],
    ['limit', '-3', 'A valid integer is required.'],
    ['limit', '0', 'Ensure this value is greater than or equal to 1.'],
    ['page', '1.5', 'A valid integer is required.'],
  ])('answers 400 naming %s for %j', (name, value, message) => {
    expect(() => parsePageRequest([[name, value]])).toThrow(ValidationError);
    try {
      parsePageRequest([[name, value]]);
    } catch (error) {
      expect((error as ValidationError).body).toEqual({ [name]: [message] });
    }
  });
});

describe('pageWindow', () => {
  it('allows page 1 of nothing', () => {
    expect(pageWindow({ page: 1, limit: 10 }, 0)).toEqual({
      offset: 0,
      limit: 10,
      hasPrevious: false,
      hasNext: false,
    });
  });

  it('answers Invalid page past the end', () => {
    expect(() => pageWindow({ page: 4, limit: 10 }, 30)).toThrow(NotFoundError);
    expect(pageWindow({ page: 3, limit: 10 }, 30)).toMatchObject({
      offset: 20,
      hasNext: false,
      hasPrevious: true,
    });
  });
});

describe('pageLinks', () => {
  it('keeps other parameters, sorted, and drops page for the first page as DRF does', () => {
    const query: Array<[string, string]> = [
      ['page', '2'],
      ['limit', '5'],
      ['x', 'a b'],
      ['cursor', 'old'],
    ];
    expect(pageLinks(address(query), { next: { page: 3 }, previous: { page: 1 } })).toEqual({
      next: 'https://api.example.test/prod/api/i1/downloadable_image/?limit=5&page=3&x=a+b',
      previous: 'https://api.example.test/prod/api/i1/downloadable_image/?limit=5&x=a+b',
    });
    expect(pageLinks(address(query), { next: { page: 3, cursor: 'c3' }, previous: null })).toEqual({
      next: 'https://api.example.test/prod/api/i1/downloadable_image/?cursor=c3&limit=5&page=3&x=a+b',
      previous: null,
    });
  });
});
