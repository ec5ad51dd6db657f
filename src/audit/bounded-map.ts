/** How to spread calls over servers: at most `perKey` calls in flight for items of the same key. */
export interface Spread<T> {
  keyOf: (item: T) => string;
  perKey: number;
}

/**
 * Maps with at most `limit` calls in flight, keeping the order; with
 * `spread`, also at most `spread.perKey` in flight per key (per server).
 * Rejects with the first error, after starting nothing more.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
  spread?: Spread<T>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const waiting = items.map((_, index) => index);
  const inFlight = new Map<string, number>();
  const keyOf = spread ? (index: number) => spread.keyOf(items[index]!) : () => '';
  const perKey = spread?.perKey ?? Number.POSITIVE_INFINITY;
  return new Promise<R[]>((resolve, reject) => {
    let running = 0;
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      if (limit < 1) limit = 1;
      if (waiting.length === 0 && running === 0) {
        resolve(results);
        return;
      }
      for (let position = 0; position < waiting.length && running < limit;) {
        const index = waiting[position]!;
        const key = keyOf(index);
        if ((inFlight.get(key) ?? 0) >= perKey) {
          position += 1;
          continue;
        }
        waiting.splice(position, 1);
        running += 1;
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        void work(items[index]!)
          .then(
            (result) => {
              results[index] = result;
            },
            (error: unknown) => {
              failed = true;
              reject(error);
            },
          )
          .finally(() => {
            running -= 1;
            inFlight.set(key, inFlight.get(key)! - 1);
            pump();
          });
      }
    };
    pump();
  });
}
