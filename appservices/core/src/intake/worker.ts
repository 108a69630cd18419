// A loop over a durable queue: rows in order within a room, rooms in parallel, backoff per room on passing failures.

/** What the loop needs from a queue. */
export interface OrderedQueue<R> {
  /** The oldest unfinished rows (a bounded batch), leaving out rooms that wait for a retry. */
  fetch(skipRooms: string[]): Promise<R[]>;
  roomOf(row: R): string;
  /** Processes one row: `done` (finished or given up), or `retry` (the room waits, then tries again). */
  process(row: R): Promise<"done" | "retry">;
  onFetchError(e: unknown): void;
}

/** Runs an OrderedQueue until stopped. */
export class RoomOrderedWorker<R> {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly backoff = new Map<string, { until: number; delay: number }>();
  private idleWaiters: (() => void)[] = [];
  private readonly queue: OrderedQueue<R>;
  private readonly concurrency: number;

  constructor(queue: OrderedQueue<R>, concurrency: number) {
    this.queue = queue;
    this.concurrency = concurrency;
  }

  /** Starts working, beginning with what an earlier run left. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Says that new rows were stored. */
  kick(): void {
    this.wake?.();
  }

  /** Resolves when nothing is left that can be processed now (rows waiting for a retry may remain). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.kick();
    });
  }

  /** Stops after the rows in hand. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let rows: R[] = [];
      const waiting = [...this.backoff.entries()].filter(([, b]) => b.until > Date.now()).map(([room]) => room);
      try {
        rows = await this.queue.fetch(waiting);
      } catch (e) {
        this.queue.onFetchError(e);
      }
      const now = Date.now();
      const byRoom = new Map<string, R[]>();
      for (const row of rows) {
        const room = this.queue.roomOf(row);
        const b = this.backoff.get(room);
        if (b !== undefined && b.until > now) continue;
        const list = byRoom.get(room);
        if (list === undefined) byRoom.set(room, [row]);
        else list.push(row);
      }
      if (byRoom.size === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
        const next = Math.min(...[...this.backoff.values()].map((b) => b.until), now + 5000);
        await this.sleep(Math.max(20, next - now));
        continue;
      }
      const rooms = [...byRoom.entries()];
      let i = 0;
      const worker = async (): Promise<void> => {
        while (this.running && i < rooms.length) {
          const entry = rooms[i++];
          if (entry !== undefined) await this.runRoom(entry[0], entry[1]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, rooms.length) }, worker));
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async runRoom(room: string, rows: R[]): Promise<void> {
    for (const row of rows) {
      if (!this.running) return;
      if ((await this.queue.process(row)) === "retry") {
        const prev = this.backoff.get(room);
        const delay = Math.min((prev?.delay ?? 250) * 2, 30_000);
        this.backoff.set(room, { until: Date.now() + delay, delay });
        return;
      }
    }
    this.backoff.delete(room);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
