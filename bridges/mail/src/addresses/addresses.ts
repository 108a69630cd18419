// Mail addresses of the school: people (`lena.koehler@…`), classes (`klasse-7a@…`), courses
// (`kurs-mathematik-7a@…`), the Kollegium (`kollegium@…`), reserved names, and the address book
// that resolves an incoming RCPT TO to one of them. Pure: no network, no database.

import { domainToASCII, domainToUnicode } from "node:url";
import type { UserText } from "@schulhof/core";
import { SchulhofError } from "@schulhof/core";
import { namePart } from "./slug.ts";

/** What a person is at school (the roster's `Role`). */
export type PersonRole = "student" | "teacher" | "admin";

/** The kinds of rooms that have a group address. `teachers` is the Lehrerzimmer. */
export type GroupKind = "class" | "course" | "teachers";

/**
 * Who may send to a group address: `members` — authenticated members of the room; `teachers` —
 * any authenticated teacher or admin of the school; `school` — any authenticated person of the
 * school; `anyone` — also senders from outside (still subject to `inbound_external_to_students`
 * when the group has students).
 */
export type GroupSenders = "members" | "teachers" | "school" | "anyone";

/**
 * Default senders per group kind; they follow who may write in the Matrix rooms: class spaces are
 * announcement rooms (only teachers write), course rooms are open to their members, the
 * Lehrerzimmer is for teachers and admins. Nobody outside the school, by default.
 */
export const DEFAULT_GROUP_SENDERS: Readonly<Record<GroupKind, GroupSenders>> = Object.freeze({
  class: "teachers",
  course: "members",
  teachers: "teachers",
});

/** Local part of the Lehrerzimmer's address. */
export const TEACHERS_LOCALPART = "kollegium";

/** Prefixes of group addresses. The whole namespace `klasse-*` / `kurs-*` is never given to a person. */
export const GROUP_PREFIXES: Readonly<Record<"class" | "course", string>> = Object.freeze({ class: "klasse-", course: "kurs-" });

/**
 * Local parts no person ever gets: role accounts of RFC 2142 and RFC 5321, addresses the bridge
 * itself may use, and names that would look official. `postmaster` and `abuse` are delivered to
 * the school's admins (see the policy); the others are refused unless a group owns them
 * (`kollegium`).
 */
export const RESERVED_LOCALPARTS: ReadonlySet<string> = new Set([
  "postmaster", "abuse", "noreply", "no-reply", "mailer-daemon", "bounce", "bounces",
  "admin", "administrator", "root", "hostmaster", "webmaster", "security", "info",
  "kollegium", "lehrerzimmer", "schulleitung", "sekretariat", "schulhof",
]);

/** Longest local part (RFC 5321 §4.5.3.1.1) and domain, and the whole path (RFC 5321 / RFC 3696 errata). */
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_ADDRESS = 254;

/** `atext` of RFC 5322: the characters of an unquoted local part besides `.`. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A person's local part as Matrix user names from the roster look: `[a-z0-9._-]`, starting with a letter or digit. */
const PERSON_LOCALPART = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;

/** An address or name that cannot be used; `user` says why in German and English. */
export class MailAddressError extends SchulhofError {
  constructor(message: string, user: UserText) {
    super("SCHULHOF_MAIL_ADDRESS", message, user, { httpStatus: 400, errcode: "M_INVALID_PARAM" });
    this.name = "MailAddressError";
  }
}

/**
 * True for a domain name as the bridge accepts it: ASCII only, at least two labels of
 * `[a-z0-9-]` (1–63 characters, no `-` at either end), at most 253 characters, no trailing dot,
 * not an IP address (all-numeric last label). Internationalised names only as punycode: a label
 * with `--` in positions 3–4 must be a valid `xn--` label. Case-insensitive.
 */
export function isValidDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  if (d.length === 0 || d.length > MAX_DOMAIN) return false;
  const labels = d.split(".");
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (!LABEL.test(label)) return false;
    if (label.slice(2, 4) === "--") {
      if (!label.startsWith("xn--")) return false;
      const unicode = domainToUnicode(label);
      if (unicode === label || unicode === "" || domainToASCII(unicode) !== label) return false;
    }
  }
  return !/^[0-9]+$/.test(labels[labels.length - 1] ?? "");
}

/**
 * Parses a bare address `local@domain`, strictly: no display name, no angle brackets, no comments,
 * no whitespace, no quoted local part, no IP-literal domain, ASCII only (internationalised domains
 * as punycode `xn--…`, no UTF-8 local parts). The local part is a dot-atom of RFC 5322 of at most
 * 64 characters and keeps its case; the domain is lower-cased. Null when anything is off.
 */
export function parseAddress(s: string): { local: string; domain: string } | null {
  if (s.length === 0 || s.length > MAX_ADDRESS) return null;
  const at = s.indexOf("@");
  if (at <= 0 || at !== s.lastIndexOf("@")) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > MAX_LOCAL || !DOT_ATOM.test(local)) return null;
  if (!isValidDomain(domain)) return null;
  return { local, domain };
}

/** The local part without a subaddress: `lena.koehler+tag` → `lena.koehler`, lower-cased. */
export function baseLocalpart(local: string): string {
  const plus = local.indexOf("+");
  return (plus < 0 ? local : local.slice(0, plus)).toLowerCase();
}

/** True when no person may have this local part: a reserved name, or inside the `klasse-` / `kurs-` namespace. */
export function isReservedLocalpart(local: string): boolean {
  const l = local.toLowerCase();
  return RESERVED_LOCALPARTS.has(l) || l.startsWith(GROUP_PREFIXES.class) || l.startsWith(GROUP_PREFIXES.course);
}

function checkedDomain(domain: string): string {
  const d = domain.toLowerCase();
  if (!isValidDomain(d)) {
    throw new MailAddressError(`invalid mail domain: ${domain}`, {
      de: `„${domain}“ ist keine gültige Mail-Domain (Umlaute nur als Punycode „xn--…“).`,
      en: `"${domain}" is not a valid mail domain (non-ASCII names only as punycode "xn--…").`,
    });
  }
  return d;
}

/**
 * A person's address: `<Matrix localpart>@<mail domain>`. The Matrix localpart is already ASCII,
 * unique and never changes, so there is no second collision scheme: `lena.koehler2` (the roster's
 * answer to a second Lena Köhler) is `lena.koehler2@…`. Throws a MailAddressError when the
 * localpart is not a roster-style name (`[a-z0-9._-]`, no leading `_`, at most 64 characters),
 * is reserved (`postmaster`, `kollegium`, …) or lies in the group namespace (`klasse-…`, `kurs-…`),
 * or when the domain is invalid.
 */
export function addressOf(localpart: string, domain: string): string {
  const d = checkedDomain(domain);
  if (localpart.length > MAX_LOCAL || !PERSON_LOCALPART.test(localpart) || localpart.includes("..")) {
    throw new MailAddressError(`not a mail-capable localpart: ${localpart}`, {
      de: `Der Benutzername „${localpart}“ kann keine Mail-Adresse bekommen.`,
      en: `The user name "${localpart}" cannot have a mail address.`,
    });
  }
  if (isReservedLocalpart(localpart)) {
    throw new MailAddressError(`reserved localpart: ${localpart}`, {
      de: `„${localpart}“ ist für Schul- oder Gruppenadressen reserviert und wird keiner Person gegeben.`,
      en: `"${localpart}" is reserved for school or group addresses and is never given to a person.`,
    });
  }
  const address = `${localpart}@${d}`;
  if (parseAddress(address) === null) {
    throw new MailAddressError(`invalid address: ${address}`, {
      de: `„${address}“ ist keine gültige Mail-Adresse.`,
      en: `"${address}" is not a valid mail address.`,
    });
  }
  return address;
}

/**
 * The address of a class, course or the Lehrerzimmer: `klasse-7a@…` (a leading `Klasse ` in the
 * name is dropped, so the room name `Klasse 7a` and the class name `7a` give the same), `kurs-
 * mathematik-7a@…` (a leading `Kurs ` is dropped), `kollegium@…` (the name is ignored). Names are
 * transliterated like user names (`Französisch 7a` → `kurs-franzoesisch-7a`); every run of other
 * characters becomes one `-`; the local part is cut to 64 characters. Throws a MailAddressError
 * when nothing is left of the name (`数学`) or the domain is invalid.
 */
export function groupAddress(kind: GroupKind, name: string, domain: string): string {
  const d = checkedDomain(domain);
  if (kind === "teachers") return `${TEACHERS_LOCALPART}@${d}`;
  const prefix = GROUP_PREFIXES[kind];
  const word = kind === "class" ? /^\s*klasse(?:\s+|$)/i : /^\s*kurs(?:\s+|$)/i;
  const slug = namePart(name.replace(word, ""));
  if (slug === "") {
    throw new MailAddressError(`no address for group name: ${name}`, {
      de: `Aus dem Namen „${name}“ lässt sich keine Mail-Adresse bilden (keine lateinischen Buchstaben oder Ziffern).`,
      en: `No mail address can be made from the name "${name}" (no Latin letters or digits).`,
    });
  }
  const local = `${prefix}${slug}`.slice(0, MAX_LOCAL).replace(/-+$/, "");
  return `${local}@${d}`;
}

/** A person of the school as the address book needs them. */
export interface BookPerson {
  userId: string;
  /** The Matrix localpart (`lena.koehler`). */
  localpart: string;
  displayName: string;
  role: PersonRole;
  /** Inactive people keep their address (it is never reused) but receive nothing. */
  active: boolean;
}

/** A room with a group address. */
export interface BookGroup {
  kind: GroupKind;
  /** Room name (`Klasse 7a`, `Mathematik 7a`, `Lehrerzimmer`). */
  name: string;
  roomId: string;
  /** User ids of the room's members. */
  members: readonly string[];
  /** Who may send; when absent, the book's `groupSenders` for the kind. */
  senders?: GroupSenders;
}

/** Everything the address book is built from. */
export interface AddressBookInput {
  people: readonly BookPerson[];
  groups: readonly BookGroup[];
  /** The school's mail domain (`schule.de`). */
  domain: string;
  /** Senders per kind for groups without their own `senders` (usually the policy's `group_senders`). */
  groupSenders?: Partial<Record<GroupKind, GroupSenders>>;
}

/** What an address at the school's domain stands for. */
export type Resolved =
  | { kind: "person"; userId: string; role: PersonRole; displayName: string; address: string }
  | {
      kind: "group";
      groupKind: GroupKind;
      name: string;
      roomId: string;
      /** Active members (inactive people of the book are left out). */
      members: readonly string[];
      senders: GroupSenders;
      /** True when a member is a student of the book: outside senders then need `inbound_external_to_students`. */
      hasStudents: boolean;
      address: string;
    }
  | { kind: "reserved"; name: string };

/** Why a person or group got no address. Reported, never thrown, so one odd name does not stop the bridge. */
export interface AddressProblem {
  kind: "person" | "group";
  /** User id or room id. */
  id: string;
  /** The address that could not be given, when there is one. */
  address: string | null;
  reason: "invalid" | "reserved" | "duplicate";
  user: UserText;
}

type GroupEntry = Extract<Resolved, { kind: "group" }>;
type PersonEntry = Extract<Resolved, { kind: "person" }> & { active: boolean };

/**
 * The school's addresses, built once from the people and rooms. Collisions are impossible by
 * construction (group addresses live in `klasse-*` / `kurs-*` / `kollegium`, which persons never
 * get); what still goes wrong — a reserved or invalid localpart, two rooms whose names give the
 * same address — is listed in `problems`, and the address then belongs to nobody: mail to an
 * ambiguous address is refused rather than delivered to the wrong room.
 */
export class AddressBook {
  /** The school's mail domain, lower case. */
  readonly domain: string;
  readonly problems: readonly AddressProblem[];
  readonly #byLocal = new Map<string, PersonEntry | GroupEntry>();
  readonly #byUser = new Map<string, string>();
  readonly #byRoom = new Map<string, string>();

  /** Builds the book; throws a MailAddressError only when the domain is invalid. */
  constructor(input: AddressBookInput) {
    this.domain = checkedDomain(input.domain);
    const problems: AddressProblem[] = [];
    const inactive = new Set(input.people.filter((p) => !p.active).map((p) => p.userId));
    const students = new Set(input.people.filter((p) => p.active && p.role === "student").map((p) => p.userId));

    const people = new Map<string, PersonEntry>();
    const ambiguous = new Set<string>();
    const seenUsers = new Set<string>();
    for (const p of input.people) {
      let address: string;
      try {
        address = addressOf(p.localpart, this.domain);
      } catch (e) {
        const reserved = isReservedLocalpart(p.localpart);
        problems.push({
          kind: "person",
          id: p.userId,
          address: null,
          reason: reserved ? "reserved" : "invalid",
          user: e instanceof SchulhofError ? e.user : { de: String(e), en: String(e) },
        });
        continue;
      }
      const local = p.localpart;
      if (people.has(local) || ambiguous.has(local) || seenUsers.has(p.userId)) {
        ambiguous.add(local);
        const other = people.get(local);
        people.delete(local);
        for (const id of [other?.userId, p.userId]) {
          if (id !== undefined) problems.push(duplicate("person", id, address));
        }
        continue;
      }
      seenUsers.add(p.userId);
      people.set(local, { kind: "person", userId: p.userId, role: p.role, displayName: p.displayName, address, active: p.active });
    }
    for (const [local, entry] of people) {
      this.#byLocal.set(local, entry);
      this.#byUser.set(entry.userId, entry.address);
    }

    const groups = new Map<string, GroupEntry>();
    const ambiguousGroups = new Set<string>();
    for (const g of input.groups) {
      let address: string;
      try {
        address = groupAddress(g.kind, g.name, this.domain);
      } catch (e) {
        problems.push({ kind: "group", id: g.roomId, address: null, reason: "invalid", user: e instanceof SchulhofError ? e.user : { de: String(e), en: String(e) } });
        continue;
      }
      const local = address.slice(0, address.indexOf("@"));
      if (groups.has(local) || ambiguousGroups.has(local)) {
        ambiguousGroups.add(local);
        const other = groups.get(local);
        groups.delete(local);
        for (const id of [other?.roomId, g.roomId]) if (id !== undefined) problems.push(duplicate("group", id, address));
        continue;
      }
      const members = Object.freeze(g.members.filter((m) => !inactive.has(m)));
      groups.set(local, Object.freeze({
        kind: "group",
        groupKind: g.kind,
        name: g.name,
        roomId: g.roomId,
        members,
        senders: g.senders ?? input.groupSenders?.[g.kind] ?? DEFAULT_GROUP_SENDERS[g.kind],
        hasStudents: members.some((m) => students.has(m)),
        address,
      }));
    }
    for (const [local, entry] of groups) {
      this.#byLocal.set(local, entry);
      this.#byRoom.set(entry.roomId, entry.address);
    }
    this.problems = problems;
  }

  /** True when the address is syntactically valid and at the school's domain (exactly, not a subdomain). */
  isLocal(address: string): boolean {
    return parseAddress(address)?.domain === this.domain;
  }

  /**
   * What an address stands for: a person, a group, a reserved name, or null (invalid, another
   * domain, unknown, inactive person, ambiguous). The local part is compared case-insensitively and
   * a subaddress is ignored (`Lena.Koehler+AG@…` → Lena). A bare `postmaster` without domain
   * (RFC 5321 §4.5.1) resolves to the reserved name.
   */
  resolve(address: string): Resolved | null {
    if (address.toLowerCase() === "postmaster") return { kind: "reserved", name: "postmaster" };
    const parsed = parseAddress(address);
    if (parsed === null || parsed.domain !== this.domain) return null;
    const local = baseLocalpart(parsed.local);
    if (local === "") return null;
    const entry = this.#byLocal.get(local);
    if (entry?.kind === "group") return entry;
    if (entry?.kind === "person") {
      if (!entry.active) return null;
      const { active: _active, ...person } = entry;
      return person;
    }
    if (RESERVED_LOCALPARTS.has(local)) return { kind: "reserved", name: local };
    return null;
  }

  /** The address of a person by user id, also for inactive people; null when they have none. */
  addressOfUser(userId: string): string | null {
    return this.#byUser.get(userId) ?? null;
  }

  /** The address of a group by room id; null when the room has none. */
  addressOfRoom(roomId: string): string | null {
    return this.#byRoom.get(roomId) ?? null;
  }
}

function duplicate(kind: "person" | "group", id: string, address: string): AddressProblem {
  return {
    kind,
    id,
    address,
    reason: "duplicate",
    user:
      kind === "person"
        ? {
            de: `Die Adresse ${address} ergäbe sich für mehrere Personen; sie wird niemandem gegeben. Benutzernamen müssen eindeutig sein.`,
            en: `The address ${address} would belong to several people; nobody gets it. User names must be unique.`,
          }
        : {
            de: `Die Adresse ${address} ergäbe sich für mehrere Räume; sie wird niemandem gegeben. Bitte einen der Räume umbenennen.`,
            en: `The address ${address} would belong to several rooms; nobody gets it. Please rename one of the rooms.`,
          },
  };
}
