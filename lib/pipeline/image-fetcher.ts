import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { CONTENT_TYPES, type Dimensions, type ImageFormat } from '../formats/image-formats';
import { type AddressPolicy, isAllowedAddress } from './address-policy';
import { ImageCopyError, permanent, transient } from './fetch-errors';
import { ImageSniffer } from './image-format';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** DNS resolution, replaceable in tests by a fake that answers any name with any address. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

export interface FetchPolicy extends AddressPolicy {
  maxBytes: number;
  maxRedirects: number;
  connectTimeoutMs: number;
  /** For the whole copy: every redirect and the body's last byte included. */
  totalTimeoutMs: number;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  allowPrivate: false,
  maxBytes: 20 * 1024 * 1024,
  maxRedirects: 3,
  connectTimeoutMs: 3_000,
  totalTimeoutMs: 30_000,
};

/** An image whose first bytes proved its type; its body is still streaming. */
export interface OpenedImage {
  format: ImageFormat;
  contentType: string;
  /** Every byte of the image, from the first; errors with ImageCopyError past the byte cap or the deadline. */
  body: Readable;
  /** Size and dimensions, once `body` has ended. */
  summary(): { bytes: number; dimensions: Dimensions | null };
  /** Ends the request early (the upload failed). */
  abort(): void;
  /** What the origin said identifies these bytes, to ask it next time whether they changed. */
  validators?: Validators;
}

/** An origin's `ETag` and `Last-Modified` for an image, as it sent them. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

/** The origin answered 304: the bytes it served with `Validators` before are still current. */
export interface NotModified {
  notModified: true;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function describeSize(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/**
 * Checks what passes: the magic number before anything goes on, the byte cap while streaming, and the
 * bytes that carry the image's dimensions. Holds back only the first few bytes until the type is known.
 */
class ImageGuard extends Transform {
  private readonly sniffer = new ImageSniffer();
  private held: Buffer[] = [];
  private format: ImageFormat | null = null;
  readonly detected: Promise<ImageFormat>;
  private resolveDetected!: (format: ImageFormat) => void;
  private rejectDetected!: (error: Error) => void;

  constructor(private readonly maxBytes: number) {
    super();
    this.detected = new Promise((resolve, reject) => {
      this.resolveDetected = resolve;
      this.rejectDetected = reject;
    });
    this.detected.catch(() => undefined);
    this.once('error', (error) => this.rejectDetected(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(this.accept(chunk));
  }

  private accept(chunk: Buffer): Error | null {
    if (this.sniffer.bytes + chunk.length > this.maxBytes) {
      return permanent(`image larger than ${describeSize(this.maxBytes)}`);
    }
    const decided = this.sniffer.push(chunk);
    if (this.format !== null) {
      this.push(chunk);
      return null;
    }
    this.held.push(chunk);
    return decided === undefined ? null : this.release(decided);
  }

  override _flush(done: TransformCallback): void {
    done(this.format === null ? this.release(this.sniffer.end()) : null);
  }

  /** Lets the held first bytes through once the type is known; an error when it is no image. */
  private release(format: ImageFormat | null): Error | null {
    if (!format) return permanent('not an image');
    this.format = format;
    this.resolveDetected(format);
    for (const chunk of this.held) this.push(chunk);
    this.held = [];
    return null;
  }

  summary(): { bytes: number; dimensions: Dimensions | null } {
    return { bytes: this.sniffer.bytes, dimensions: this.sniffer.dimensions };
  }
}

function hostnameOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** How the fetcher finds and judges addresses; tests replace both. */
export interface NetworkRules {
  resolve: Resolver;
  isAllowed: (address: string) => boolean;
}

async function checkedAddress(url: URL, rules: NetworkRules): Promise<ResolvedAddress> {
  const host = hostnameOf(url);
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await rules.resolve(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw permanent('host not found');
      throw transient('DNS lookup failed');
    }
  }
  // Every address the name has must be allowed: a connection could otherwise be steered to any of them.
  if (addresses.length === 0) throw permanent('host not found');
  if (!addresses.every(({ address }) => rules.isAllowed(address))) throw permanent('address not allowed');
  return addresses[0] as ResolvedAddress;
}

function checkScheme(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw permanent('only http and https URLs are fetched');
  if (url.username || url.password) throw permanent('URLs with credentials are not fetched');
}

/** One request, connected to the address that was checked (no second DNS answer can redirect it). */
function requestPinned(
  url: URL,
  pinned: ResolvedAddress,
  policy: FetchPolicy,
  signal: AbortSignal,
  known?: Validators,
): Promise<IncomingMessage> {
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: 'GET',
      agent: false,
      lookup: pinnedLookup,
      signal,
      headers: {
        'user-agent': 'product-images-fetcher/1.0',
        accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1',
        ...(known?.etag ? { 'if-none-match': known.etag } : {}),
        ...(known?.lastModified ? { 'if-modified-since': known.lastModified } : {}),
      },
    });
    const connectTimer = setTimeout(
      () => request.destroy(transient('connection to origin timed out')),
      policy.connectTimeoutMs,
    );
    request.once('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    request.once('response', (response) => {
      clearTimeout(connectTimer);
      resolve(response);
    });
    request.once('error', (error) => {
      clearTimeout(connectTimer);
      reject(error);
    });
    request.end();
  });
}

function asCopyError(error: unknown, signal: AbortSignal): ImageCopyError {
  if (error instanceof ImageCopyError) return error;
  if (signal.aborted) return transient('origin timed out');
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('ERR_TLS') || code.includes('CERT')) return permanent('TLS certificate not valid');
  return transient(`connection to origin failed (${code || 'error'})`);
}

function statusError(status: number): ImageCopyError {
  const reason = `HTTP ${status} from origin`;
  return status >= 500 || status === 408 || status === 429 ? transient(reason) : permanent(reason);
}

/**
 * Opens an untrusted image URL the way go-camo does: http/https only, every resolved address checked and
 * the connection pinned to it, redirects followed by hand and checked again (at most `maxRedirects`),
 * connect and total timeouts, a byte cap while streaming, the type decided by magic numbers.
 */
export function openImage(rawUrl: string, policy?: FetchPolicy, rules?: NetworkRules): Promise<OpenedImage>;
export function openImage(
  rawUrl: string,
  policy: FetchPolicy,
  rules: NetworkRules | undefined,
  known: Validators | undefined,
): Promise<OpenedImage | NotModified>;
export async function openImage(
  rawUrl: string,
  policy: FetchPolicy = DEFAULT_FETCH_POLICY,
  rules: NetworkRules = {
    resolve: systemResolver,
    isAllowed: (address) => isAllowedAddress(address, policy),
  },
  known?: Validators,
): Promise<OpenedImage | NotModified> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), policy.totalTimeoutMs);
  deadline.unref();
  const stop = () => {
    clearTimeout(deadline);
    controller.abort();
  };

  try {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw permanent('not a valid URL');
    }
    for (let redirects = 0; ; redirects++) {
      checkScheme(url);
      const pinned = await checkedAddress(url, rules);
      const response = await requestPinned(url, pinned, policy, controller.signal, known);
      const status = response.statusCode ?? 0;
      // Only an answer to our own condition means "unchanged"; a 304 nobody asked for is an error.
      if (status === 304 && (known?.etag || known?.lastModified)) {
        response.resume();
        stop();
        return { notModified: true };
      }
      if (REDIRECTS.has(status)) {
        response.resume();
        const location = response.headers.location;
        if (!location) throw permanent(`HTTP ${status} from origin without a Location`);
        if (redirects >= policy.maxRedirects) throw permanent(`more than ${policy.maxRedirects} redirects`);
        url = new URL(location, url);
        continue;
      }
      if (status !== 200) {
        response.resume();
        throw statusError(status);
      }
      const declared = Number(response.headers['content-length'] ?? Number.NaN);
      if (declared > policy.maxBytes) {
        response.destroy();
        throw permanent(`image larger than ${describeSize(policy.maxBytes)}`);
      }
      return await guarded(response, policy, controller.signal, stop);
    }
  } catch (error) {
    stop();
    throw asCopyError(error, controller.signal);
  }
}

async function guarded(
  response: IncomingMessage,
  policy: FetchPolicy,
  signal: AbortSignal,
  stop: () => void,
): Promise<OpenedImage> {
  const guard = new ImageGuard(policy.maxBytes);
  response.once('error', (error) => guard.destroy(asCopyError(error, signal)));
  response.once('aborted', () => guard.destroy(asCopyError(new Error('aborted'), signal)));
  signal.addEventListener('abort', () => guard.destroy(transient('origin timed out')), { once: true });
  guard.once('error', () => response.destroy());
  guard.once('end', () => stop());
  guard.once('close', () => stop());
  response.pipe(guard);
  const format = await guard.detected;
  const header = (name: string) => {
    const value = response.headers[name];
    return typeof value === 'string' && value.length > 0 && value.length <= 1024 ? value : undefined;
  };
  return {
    validators: { etag: header('etag'), lastModified: header('last-modified') },
    format,
    contentType: CONTENT_TYPES[format],
    body: guard,
    summary: () => guard.summary(),
    abort: () => {
      guard.destroy(transient('copy aborted'));
      response.destroy();
      stop();
    },
  };
}
