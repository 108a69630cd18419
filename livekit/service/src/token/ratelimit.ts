// Token buckets per key (one limiter per user, one per school), with an injectable clock and bounded memory.

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Most requests in a burst (the bucket's size); a new key starts full. */
  capacity: number;
  /** Requests regained per second. */
  refillPerSecond: number;
  /** Most keys kept; beyond it the least recently used are dropped (they start full again). Default 100,000. */
  maxKeys?: number;
  /** The clock in milliseconds, for tests; default Date.now. */
  now?: () => number;
}

/** The outcome of {@link RateLimiter.take}: allowed, or how long to wait. */
export interface TakeResult {
  ok: boolean;
  /** 0 when allowed; otherwise milliseconds (whole, at least 1) until the request would be allowed. */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key. Memory stays bounded: keys whose bucket has refilled completely (idle for
 * capacity / refillPerSecond seconds) carry no state worth keeping and are swept out every so often; if more
 * than `maxKeys` keys are still active, the least recently used are dropped, which only ever errs towards allowing.
 */
export class RateLimiter {
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Least recently used first (a key is re-inserted on every take). */
  private readonly buckets = new Map<string, Bucket>();
  /** How long an idle bucket takes to refill completely, in ms: then it may be forgotten. */
  private readonly fullAfterMs: number;
  private nextSweep: number;

  constructor(opts: RateLimiterOptions) {
    if (!Number.isFinite(opts.capacity) || opts.capacity < 1) throw new RangeError(`capacity must be at least 1, got ${opts.capacity}`);
    if (!Number.isFinite(opts.refillPerSecond) || opts.refillPerSecond <= 0) throw new RangeError(`refillPerSecond must be above 0, got ${opts.refillPerSecond}`);
    const maxKeys = opts.maxKeys ?? 100_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a whole number of at least 1, got ${maxKeys}`);
    this.capacity = opts.capacity;
    this.perMs = opts.refillPerSecond / 1000;
    this.maxKeys = maxKeys;
    this.now = opts.now ?? Date.now;
    this.fullAfterMs = this.capacity / this.perMs;
    this.nextSweep = this.now() + this.fullAfterMs;
  }

  /** Takes one request's worth from `key`'s bucket if there is one; otherwise says how long until there will be. */
  take(key: string): TakeResult {
    const now = this.now();
    if (now >= this.nextSweep) this.sweep(now);
    const bucket = this.buckets.get(key);
    const tokens = bucket === undefined ? this.capacity : this.level(bucket, now);
    if (bucket !== undefined) this.buckets.delete(key);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      this.trim();
      return { ok: true, retryAfterMs: 0 };
    }
    this.buckets.set(key, { tokens, at: now });
    this.trim();
    // The small allowance keeps float noise (0.999… tokens) from adding a millisecond.
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / this.perMs - 1e-6)) };
  }

  /** How many keys are held now. */
  get size(): number {
    return this.buckets.size;
  }

  /** The bucket's level now; a clock that went backwards refills nothing. */
  private level(bucket: Bucket, now: number): number {
    return Math.min(this.capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
  }

  /** Forgets every key whose bucket is full again (it behaves exactly like a new key). */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (this.level(bucket, now) >= this.capacity) this.buckets.delete(key);
    this.nextSweep = now + Math.max(1000, this.fullAfterMs);
  }

  /** Drops the least recently used keys beyond maxKeys. */
  private trim(): void {
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
  }
}
