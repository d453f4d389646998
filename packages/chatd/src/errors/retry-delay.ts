/**
 * How long to wait before generation attempt `attempt + 1` after attempt `attempt` failed:
 * `initialMs` doubling per attempt up to `maxMs`, and never less than the provider asked for
 * with `Retry-After`.
 */
export function generationRetryDelayMs(
  attempt: number,
  {
    initialMs,
    maxMs,
    retryAfterMs,
  }: { initialMs: number; maxMs: number; retryAfterMs?: number | undefined },
): number {
  const backoff = Math.min(initialMs * 2 ** Math.max(0, attempt - 1), maxMs);
  return Math.max(backoff, retryAfterMs ?? 0);
}
