// Runs async work with a bounded number in flight.

/** Runs `fn` over `items` with at most `limit` at once; answers the errors by item index. */
export async function runPool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<Map<number, unknown>> {
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        await fn(items[i] as T, i);
      } catch (e) {
        errors.set(i, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return errors;
}

/**
 * Orders `(room, item)` pairs so that consecutive items hit different rooms where possible (the
 * homeserver serialises per room): always the room with the most items left that was not just used.
 */
export function interleaveByRoom<T extends { roomKey: string }>(items: readonly T[]): T[] {
  const queues = new Map<string, T[]>();
  for (const it of items) {
    const q = queues.get(it.roomKey);
    if (q === undefined) queues.set(it.roomKey, [it]);
    else q.push(it);
  }
  const heads = new Map<string, number>([...queues.keys()].map((k) => [k, 0]));
  const out: T[] = [];
  let last: string | null = null;
  while (out.length < items.length) {
    let best: string | null = null;
    let bestLeft = -1;
    for (const [room, q] of queues) {
      const left = q.length - (heads.get(room) ?? 0);
      if (left > 0 && room !== last && left > bestLeft) {
        best = room;
        bestLeft = left;
      }
    }
    best ??= last;
    if (best === null) break;
    const i = heads.get(best) ?? 0;
    const item = queues.get(best)?.[i];
    if (item === undefined) break;
    out.push(item);
    heads.set(best, i + 1);
    last = best;
  }
  return out;
}
