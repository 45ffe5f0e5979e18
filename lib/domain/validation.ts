import { IMAGE_TYPES, type ImageType, type RequestedImage } from './image';

/** Limits a client controls the size of. */
export interface RequestLimits {
  maxImagesPerSku: number;
}

export const MAX_SKU_LENGTH = 255;
export const MAX_URL_LENGTH = 2048;
export const MAX_ORDER = 2_147_483_647;
/** DRF's IntegerField refuses longer strings before parsing them. */
const MAX_INTEGER_STRING_LENGTH = 1000;

export interface UpsertRequest {
  sku: string;
  images: RequestedImage[];
}

/** DRF's error shape: field name to messages, nested per list entry. */
export type FieldErrors = Record<string, unknown>;

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const REQUIRED = 'This field is required.';
const NOT_NULL = 'This field may not be null.';
const NOT_BLANK = 'This field may not be blank.';
const NOT_A_STRING = 'Not a valid string.';
const NOT_AN_INTEGER = 'A valid integer is required.';
const CONTROL_CHARACTERS = /\p{Cc}/u;

/** The name Python gives a JSON value's type; DRF's messages quote it. */
export function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type FieldResult<T> = { ok: true; value: T } | { ok: false; messages: string[] };
const fail = (...messages: string[]): { ok: false; messages: string[] } => ({ ok: false, messages });

/** As DRF's CharField: strings are trimmed, integers become their decimal string. */
function toCharField(value: unknown): FieldResult<string> {
  if (value === null) return fail(NOT_NULL);
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isSafeInteger(value)) text = String(value);
  else return fail(NOT_A_STRING);
  if (text === '') return fail(NOT_BLANK);
  return { ok: true, value: text };
}

export function validateSku(value: unknown): FieldResult<string> {
  const text = toCharField(value);
  if (!text.ok) return text;
  if ([...text.value].length > MAX_SKU_LENGTH) {
    return fail(`Ensure this field has no more than ${MAX_SKU_LENGTH} characters.`);
  }
  if (CONTROL_CHARACTERS.test(text.value)) return fail('Control characters are not allowed.');
  return text;
}

export function validateUrl(value: unknown): FieldResult<string> {
  const text = toCharField(value);
  if (!text.ok) return text;
  const url = text.value;
  if (url.length > MAX_URL_LENGTH) {
    return fail(`Ensure this field has no more than ${MAX_URL_LENGTH} characters.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('Enter a valid URL.');
  }
  const schemeOk = parsed.protocol === 'http:' || parsed.protocol === 'https:';
  // WHATWG parsing forgives whitespace and backslashes that the original service would refuse.
  if (!schemeOk || parsed.hostname === '' || /[\s\\]/.test(url) || !/^https?:\/\/[^/]/i.test(url)) {
    return fail('Enter a valid URL.');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return fail('Enter a valid URL without a user name or password.');
  }
  return { ok: true, value: url };
}

/** As DRF's IntegerField: integral numbers, and strings of digits with an optional `.0`. */
export function validateOrder(value: unknown): FieldResult<number> {
  if (value === undefined || value === null) return { ok: true, value: 0 };
  let parsed: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return fail(NOT_AN_INTEGER);
    parsed = value;
  } else if (typeof value === 'string') {
    if (value.length > MAX_INTEGER_STRING_LENGTH) return fail('String value too large.');
    const match = /^\s*([+-]?\d+)(\.0*)?\s*$/.exec(value);
    if (!match?.[1]) return fail(NOT_AN_INTEGER);
    parsed = Number(match[1]);
  } else {
    return fail(NOT_AN_INTEGER);
  }
  if (parsed < 0) return fail('Ensure this value is greater than or equal to 0.');
  if (parsed > MAX_ORDER) return fail(`Ensure this value is less than or equal to ${MAX_ORDER}.`);
  return { ok: true, value: parsed === 0 ? 0 : parsed };
}

export function validateImageType(value: unknown): FieldResult<ImageType> {
  if (value === undefined) return { ok: true, value: 'default' };
  if (value === null) return fail(NOT_NULL);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const choice = IMAGE_TYPES.find((type) => type === text);
  return choice ? { ok: true, value: choice } : fail(`"${text}" is not a valid choice.`);
}

function validateImageEntry(entry: unknown): Validated<RequestedImage> {
  if (!isPlainObject(entry)) {
    return {
      ok: false,
      errors: {
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(entry)}.`],
      },
    };
  }
  const errors: FieldErrors = {};
  const url = 'url' in entry ? validateUrl(entry.url) : fail(REQUIRED);
  const order = validateOrder(entry.order);
  const imageType = validateImageType(entry.image_type);
  if (!url.ok) errors.url = url.messages;
  if (!order.ok) errors.order = order.messages;
  if (!imageType.ok) errors.image_type = imageType.messages;
  if (!url.ok || !order.ok || !imageType.ok) return { ok: false, errors };
  return { ok: true, value: { url: url.value, order: order.value, image_type: imageType.value } };
}

/** On failure, `errors` is what DRF puts under `images`: messages for the list, or one object per entry. */
function validateImages(
  value: unknown,
  limits: RequestLimits,
): { ok: true; value: RequestedImage[] } | { ok: false; errors: unknown } {
  const listError = (message: string) => ({ ok: false as const, errors: [message] });
  if (value === undefined) return listError(REQUIRED);
  if (value === null) return listError(NOT_NULL);
  if (!Array.isArray(value)) {
    return listError(`Expected a list of items but got type "${pythonTypeName(value)}".`);
  }
  if (value.length > limits.maxImagesPerSku) {
    return listError(`Ensure this field has no more than ${limits.maxImagesPerSku} elements.`);
  }
  const seenUrls = new Set<string>();
  const images: RequestedImage[] = [];
  const entryErrors: FieldErrors[] = [];
  let anyError = false;
  for (const entry of value) {
    const result = validateImageEntry(entry);
    if (!result.ok) {
      entryErrors.push(result.errors);
      anyError = true;
      continue;
    }
    if (seenUrls.has(result.value.url)) {
      entryErrors.push({ url: ['This URL is already used by another image in this request.'] });
      anyError = true;
      continue;
    }
    seenUrls.add(result.value.url);
    images.push(result.value);
    entryErrors.push({});
  }
  return anyError ? { ok: false, errors: entryErrors } : { ok: true, value: images };
}

/** Validates a POST body all-or-nothing: either every field is right, or DRF-shaped errors for each. */
export function validateUpsertRequest(body: unknown, limits: RequestLimits): Validated<UpsertRequest> {
  if (!isPlainObject(body)) {
    return {
      ok: false,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`] },
    };
  }
  const errors: FieldErrors = {};
  const sku = 'product_sku' in body ? validateSku(body.product_sku) : fail(REQUIRED);
  if (!sku.ok) errors.product_sku = sku.messages;

  const images = validateImages(body.images, limits);
  if (!images.ok) errors.images = images.errors;

  if (!sku.ok || !images.ok) return { ok: false, errors };
  return { ok: true, value: { sku: sku.value, images: images.value } };
}
