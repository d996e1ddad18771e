import { RateLimitConfig } from '@accrual/platform';

export interface RateDecision {
  allowed: boolean;
  /** When refused: whole seconds until one token is back (for `Retry-After`). */
  retryAfterSeconds: number;
}

/**
 * A token bucket per API key: `burst` tokens, refilled at `perSecond`; a request takes one.
 * Keys are the configured key names, so the map is bounded by the configuration (unknown keys
 * are refused before they reach it).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();

  constructor(
    private readonly limit: RateLimitConfig,
    private readonly clock: () => number,
  ) {}

  take(key: string): RateDecision {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, updatedMs: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsedSeconds * this.limit.perSecond);
    bucket.updatedMs = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond)) };
  }
}
