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

/** Orders `(room, item)` pairs so that consecutive items hit different rooms (the homeserver serialises per room). */
export function interleaveByRoom<T extends { roomKey: string }>(items: readonly T[]): T[] {
  const byRoom = new Map<string, T[]>();
  for (const it of items) byRoom.set(it.roomKey, [...(byRoom.get(it.roomKey) ?? []), it]);
  const queues = [...byRoom.values()];
  const out: T[] = [];
  for (let i = 0; out.length < items.length; i++) {
    for (const q of queues) {
      const it = q[i];
      if (it !== undefined) out.push(it);
    }
  }
  return out;
}
