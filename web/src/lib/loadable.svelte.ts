// A value that loads on its own and fails on its own: loading, ready or failed, with a reload that keeps the old value.

export type LoadStatus = "loading" | "ready" | "failed";

/** Made by a page or block with its loader; starts loading at once. Reading its fields in a template makes it reactive. */
export class Loadable<T> {
  status = $state<LoadStatus>("loading");
  value = $state.raw<T | null>(null);
  error = $state.raw<unknown>(null);
  private readonly load: () => Promise<T>;
  private generation = 0;

  constructor(load: () => Promise<T>, opts: { start?: boolean } = {}) {
    this.load = load;
    if (opts.start !== false) void this.reload();
  }

  /**
   * Loads again. With `quiet`, a value already shown stays (no loading state) and a failure keeps it; without, the
   * block shows loading and then the new value or the error. A newer reload wins over an older one still running.
   */
  async reload(opts: { quiet?: boolean } = {}): Promise<void> {
    const mine = ++this.generation;
    const quiet = opts.quiet === true && this.status === "ready";
    if (!quiet) this.status = "loading";
    try {
      const value = await this.load();
      if (mine !== this.generation) return;
      this.value = value;
      this.error = null;
      this.status = "ready";
    } catch (e) {
      if (mine !== this.generation) return;
      this.error = e;
      if (!quiet) this.status = "failed";
    }
  }
}
