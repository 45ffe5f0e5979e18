import type { ContentFacts, ContentRecord, ContentStore } from '../../lib/pipeline/ports';

interface Entry {
  refs: Set<number>;
  facts?: ContentFacts;
  renderError?: string;
  leaseUntil?: number;
  leaseHolder?: string;
  deletingSince?: number;
}

/** The content store's rules in memory, each call atomic as DynamoDB's conditional writes are. */
export class MemoryContentStore implements ContentStore {
  readonly entries = new Map<string, Entry>();

  private record(sha256: string, entry: Entry): ContentRecord {
    return {
      sha256,
      references: [...entry.refs],
      facts: entry.facts ?? null,
      renderError: entry.renderError ?? null,
      leaseUntil: entry.leaseUntil ?? null,
      deletingSince: entry.deletingSince ?? null,
    };
  }

  async acquire(sha256: string, imageId: number): Promise<ContentRecord | null> {
    const entry = this.entries.get(sha256) ?? { refs: new Set<number>() };
    if (entry.deletingSince !== undefined) return null;
    entry.refs.add(imageId);
    this.entries.set(sha256, entry);
    return this.record(sha256, entry);
  }

  async find(sha256: string): Promise<ContentRecord | null> {
    const entry = this.entries.get(sha256);
    return entry ? this.record(sha256, entry) : null;
  }

  async claimRender(sha256: string, now: number, leaseMs: number, holder = ''): Promise<boolean> {
    const entry = this.entries.get(sha256);
    if (!entry || entry.refs.size === 0 || entry.facts || entry.renderError) return false;
    const own = holder !== '' && entry.leaseHolder === holder;
    if (entry.leaseUntil !== undefined && entry.leaseUntil >= now && !own) return false;
    entry.leaseUntil = now + leaseMs;
    entry.leaseHolder = holder;
    return true;
  }

  async completeRender(sha256: string, facts: ContentFacts): Promise<void> {
    const entry = this.referenced(sha256);
    entry.facts = facts;
    entry.leaseUntil = undefined;
  }

  async failRender(sha256: string, reason: string): Promise<void> {
    const entry = this.referenced(sha256);
    entry.renderError = reason;
    entry.leaseUntil = undefined;
  }

  async extendRender(sha256: string, previousKey: string | null, facts: ContentFacts): Promise<boolean> {
    const entry = this.entries.get(sha256);
    if (!entry?.facts || entry.refs.size === 0 || entry.deletingSince !== undefined) return false;
    if ((entry.facts.original_key ?? null) !== previousKey) return false;
    entry.facts = facts;
    return true;
  }

  async dropLease(sha256: string): Promise<void> {
    const entry = this.entries.get(sha256);
    if (entry) entry.leaseUntil = undefined;
  }

  async release(sha256: string, imageId: number): Promise<number> {
    const entry = this.entries.get(sha256);
    if (!entry) return 0;
    // The last reference's removal marks the deletion in the same step, as the DynamoDB store does.
    if (entry.refs.size === 1 && entry.refs.has(imageId)) entry.deletingSince ??= Date.now();
    entry.refs.delete(imageId);
    return entry.refs.size;
  }

  async *deletionsBefore(before: number): AsyncIterable<string> {
    for (const [sha256, entry] of this.entries) {
      if (entry.deletingSince !== undefined && entry.deletingSince < before) yield sha256;
    }
  }

  async beginDeletion(sha256: string, now: number): Promise<boolean> {
    const entry = this.entries.get(sha256);
    if (!entry || entry.refs.size > 0) return false;
    entry.deletingSince ??= now;
    return true;
  }

  async finishDeletion(sha256: string): Promise<void> {
    const entry = this.entries.get(sha256);
    if (entry && entry.deletingSince !== undefined && entry.refs.size === 0) this.entries.delete(sha256);
  }

  private referenced(sha256: string): Entry {
    const entry = this.entries.get(sha256);
    if (!entry || entry.refs.size === 0)
      throw Object.assign(new Error('unreferenced'), { name: 'ConditionalCheckFailedException' });
    return entry;
  }
}
