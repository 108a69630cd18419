// The school's people and groups, read from the school appservice's directory and kept as an address book.
import type { Logger } from "@schulhof/core";
import { AddressBook, type BookGroup, type BookPerson, type GroupKind, type GroupSenders } from "./addresses/index.ts";

interface DirectoryAnswer {
  people: { user_id: string; localpart: string; display_name: string; role: "student" | "teacher" | "admin"; active: boolean }[];
  groups: { kind: GroupKind; name: string; room_id: string; members: string[] }[];
}

/** The current address book; refreshed periodically and on demand (a new person's first mail). */
export class Directory {
  private book: AddressBook | null = null;
  private adminIds: string[] = [];
  private loading: Promise<AddressBook> | null = null;
  private loadedAt = 0;
  private readonly url: string;
  private readonly token: string;
  private readonly domain: string;
  private readonly groupSenders: Partial<Record<GroupKind, GroupSenders>>;
  private readonly log: Logger;
  private readonly maxAgeMs: number;

  constructor(opts: { url: string; token: string; domain: string; groupSenders: Partial<Record<GroupKind, GroupSenders>>; log: Logger; maxAgeMs: number }) {
    this.url = opts.url;
    this.token = opts.token;
    this.domain = opts.domain;
    this.groupSenders = opts.groupSenders;
    this.log = opts.log;
    this.maxAgeMs = opts.maxAgeMs;
  }

  /** Reads the directory now. */
  async refresh(): Promise<AddressBook> {
    this.loading ??= (async () => {
      try {
        const res = await fetch(this.url, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`directory: ${res.status}`);
        const d = (await res.json()) as DirectoryAnswer;
        const people: BookPerson[] = d.people.map((p) => ({ userId: p.user_id, localpart: p.localpart, displayName: p.display_name, role: p.role, active: p.active }));
        const groups: BookGroup[] = d.groups.map((g) => ({ kind: g.kind, name: g.name, roomId: g.room_id, members: g.members }));
        this.adminIds = people.filter((p) => p.role === "admin" && p.active).map((p) => p.userId);
        this.book = new AddressBook({ people, groups, domain: this.domain, groupSenders: this.groupSenders });
        this.loadedAt = Date.now();
        if (this.book.problems.length > 0) this.log.warn({ problems: this.book.problems.slice(0, 20) }, "mail address problems (see docs/mail-addresses.md)");
        return this.book;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Milliseconds since the book was read. */
  age(): number {
    return Date.now() - this.loadedAt;
  }

  /** Active school admins (they receive postmaster and abuse mail). */
  admins(): string[] {
    return this.adminIds;
  }

  /** The address book, read again when older than the refresh interval; the last good one if reading fails. */
  async get(): Promise<AddressBook> {
    if (this.book !== null && Date.now() - this.loadedAt < this.maxAgeMs) return this.book;
    try {
      return await this.refresh();
    } catch (e) {
      if (this.book !== null) {
        this.log.warn({ err: e }, "directory not readable; using the last one");
        return this.book;
      }
      throw e;
    }
  }
}
