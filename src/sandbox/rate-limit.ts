/**
 * Kommo's 7 requests/second per token, as a token bucket: capacity `rps`, refilled continuously at `rps`
 * tokens per second of the injected clock. A fresh token starts with a full bucket.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rps: number) {}

  /** Takes one token for `key` at `nowMs`; false when the bucket is empty (→ 429). */
  take(key: string, nowMs: number): boolean {
    if (this.rps <= 0) return true;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.rps, at: nowMs };
      this.buckets.set(key, bucket);
    }
    const elapsedMs = Math.max(0, nowMs - bucket.at);
    bucket.tokens = Math.min(this.rps, bucket.tokens + (elapsedMs * this.rps) / 1000);
    bucket.at = Math.max(bucket.at, nowMs);
    // The epsilon keeps float drift (e.g. 142.857 ms at 7 rps) from refusing a token that is due.
    if (bucket.tokens < 1 - 1e-9) return false;
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    return true;
  }
}
