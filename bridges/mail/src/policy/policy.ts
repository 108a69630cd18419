// The school's mail policy (part of its configuration) and the decisions made from it: who may
// receive mail from whom, who may send where, what a failed DMARC check means, how big a message may be.

import type { UserText } from "@schulhof/core";
import { z } from "zod";
import { DEFAULT_GROUP_SENDERS, isValidDomain, parseAddress, type GroupSenders, type PersonRole, type Resolved } from "../addresses/addresses.ts";
import { refusal, type Decision, type Refusal } from "./smtp.ts";

/** `example.org` (exactly this domain) or `*.example.org` (any subdomain of it, not the domain itself). */
const AllowlistEntrySchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => isValidDomain(s.startsWith("*.") ? s.slice(2) : s), {
    message: "expected a domain (example.org) or a wildcard for its subdomains (*.example.org); non-ASCII domains as punycode xn--…",
  });

const GroupSendersSchema = z.enum(["members", "teachers", "school", "anyone"]);

/**
 * The `mail` section of the school's configuration. Every key has a default chosen for children's
 * safety: students write only inside the school (plus the allowlist), receive nothing from outside,
 * and nobody outside reaches a group. Unknown keys are errors, so that a typo does not silently
 * leave a default in place.
 */
export const MailPolicySchema = z.strictObject({
  /** Students' mail to outside the school: `off` — none; `allowlist` — to `outbound_allowlist` only; `on` — anywhere. */
  students_outbound: z.enum(["off", "allowlist", "on"]).default("allowlist"),
  /** Outside domains students may exchange mail with (see `students_outbound`, `inbound_external_to_students`). */
  outbound_allowlist: z.array(AllowlistEntrySchema).default([]),
  /** Whether anyone outside may write to students; when false, only senders from `outbound_allowlist` domains may. */
  inbound_external_to_students: z.boolean().default(false),
  /** A message from outside that fails DMARC: `mark` — delivered with a warning; `reject` — refused with 550 5.7.1. */
  dmarc_fail: z.enum(["mark", "reject"]).default("mark"),
  /** Messages per hour and sender (teachers' number also applies to admins). */
  rate_limit: z
    .strictObject({
      students_per_hour: z.number().int().min(1).default(30),
      teachers_per_hour: z.number().int().min(1).default(200),
    })
    .prefault({}),
  /** Largest message, in MiB (1 MiB = 1,048,576 bytes), as received or sent. */
  max_message_mb: z.number().positive().max(150).default(25),
  /** Most distinct recipients of one message. */
  max_recipients: z.number().int().min(1).max(1000).default(100),
  /** Who may send to a group address, per kind; see `GroupSenders`. */
  group_senders: z
    .strictObject({
      class: GroupSendersSchema.default(DEFAULT_GROUP_SENDERS.class),
      course: GroupSendersSchema.default(DEFAULT_GROUP_SENDERS.course),
      teachers: GroupSendersSchema.default(DEFAULT_GROUP_SENDERS.teachers),
    })
    .prefault({}),
});

/** A parsed mail policy (all defaults filled in). */
export type MailPolicy = z.infer<typeof MailPolicySchema>;

/** The policy with every default: `MailPolicySchema.parse({})`. */
export const DEFAULT_MAIL_POLICY: MailPolicy = MailPolicySchema.parse({});

/** The outcome of a DMARC check (RFC 7489), as mailauth reports it. */
export type DmarcResult = "pass" | "fail" | "none" | "temperror" | "permerror";

/** Who is sending: the envelope address, and the Schulhof user when the session is authenticated. */
export interface Sender {
  /** MAIL FROM address; "" for the null sender of bounces. */
  address: string;
  /**
   * The authenticated user (SMTP AUTH on submission, or mail composed in Matrix); null for every
   * message that arrived from outside, also when its address is at the school's domain.
   */
  internalUserId: string | null;
  /** The DMARC result, once known (after DATA); matters for senders let in by the allowlist. */
  dmarc?: DmarcResult;
}

/** True when `domain` is on the allowlist: equal to an entry, or below a `*.` entry. */
export function onAllowlist(domain: string, allowlist: readonly string[]): boolean {
  const d = domain.toLowerCase();
  return allowlist.some((entry) => (entry.startsWith("*.") ? d.endsWith(entry.slice(1)) : d === entry));
}

/** True for an outside sender that may write to students under this policy (see `inbound_external_to_students`). */
function outsiderMayReachStudents(sender: Sender, policy: MailPolicy): boolean {
  if (policy.inbound_external_to_students) return true;
  const domain = parseAddress(sender.address)?.domain;
  if (domain === undefined || !onAllowlist(domain, policy.outbound_allowlist)) return false;
  // The allowlist trusts a domain, so its mail must really come from there.
  return sender.dmarc === undefined || sender.dmarc === "pass";
}

const NO_SUCH_USER = (): Refusal =>
  refusal(550, "5.1.1", "No such user here", {
    de: "Diese Adresse gibt es an der Schule nicht.",
    en: "This address does not exist at the school.",
  });

/** Reserved names that are delivered (to the school's admins): RFC 5321 requires postmaster, RFC 2142 abuse. */
export const DELIVERED_RESERVED: ReadonlySet<string> = new Set(["postmaster", "abuse"]);

function mayPostToGroup(senders: GroupSenders, sender: Sender, role: PersonRole | undefined, members: readonly string[]): boolean {
  if (senders === "anyone") return true;
  if (sender.internalUserId === null) return false;
  if (senders === "school") return true;
  if (senders === "teachers") return role === "teacher" || role === "admin";
  return members.includes(sender.internalUserId);
}

const SENDERS_TEXT: Readonly<Record<GroupSenders, UserText>> = {
  members: { de: "nur Mitglieder des Raums", en: "only members of the room" },
  teachers: { de: "nur Lehrkräfte der Schule", en: "only teachers of the school" },
  school: { de: "nur Angehörige der Schule", en: "only people of the school" },
  anyone: { de: "alle", en: "anyone" },
};

/**
 * May this recipient get mail from this sender? Asked at RCPT TO (again after DATA with
 * `sender.dmarc` for senders that the allowlist let in). `recipient` is `AddressBook.resolve`'s
 * answer; `senderRole` the role of the authenticated sender (missing: treated as a student).
 * Unknown, inactive or ambiguous → 550 5.1.1; reserved names other than postmaster and abuse →
 * 550 5.1.1; outsider to a student (or to a group with students) when the policy does not allow it
 * → 550 5.7.1; a sender the group does not accept → 550 5.7.1.
 */
export function canReceive(recipient: Resolved | null, sender: Sender, policy: MailPolicy, senderRole?: PersonRole): Decision {
  if (recipient === null) return NO_SUCH_USER();
  const internal = sender.internalUserId !== null;
  if (recipient.kind === "reserved") return DELIVERED_RESERVED.has(recipient.name) ? { ok: true } : NO_SUCH_USER();
  if (recipient.kind === "person") {
    if (internal || recipient.role !== "student" || outsiderMayReachStudents(sender, policy)) return { ok: true };
    return refusal(
      550,
      "5.7.1",
      `Recipient ${recipient.address} does not accept mail from outside the school`,
      {
        de: `${recipient.address} ist eine Schüleradresse und nimmt keine Mails von außerhalb der Schule an.`,
        en: `${recipient.address} is a student's address and does not accept mail from outside the school.`,
      },
      [recipient.address],
    );
  }
  const role = internal ? (senderRole ?? "student") : undefined;
  if (!mayPostToGroup(recipient.senders, sender, role, recipient.members)) {
    const who = SENDERS_TEXT[recipient.senders];
    return refusal(
      550,
      "5.7.1",
      `Not allowed to send to ${recipient.address} (${who.en})`,
      {
        de: `Du darfst nicht an ${recipient.address} schreiben: ${who.de} dürfen an ${recipient.name} schreiben.`,
        en: `You may not write to ${recipient.address}: ${who.en} may write to ${recipient.name}.`,
      },
      [recipient.address],
    );
  }
  if (!internal && recipient.hasStudents && !outsiderMayReachStudents(sender, policy)) {
    return refusal(
      550,
      "5.7.1",
      `Group ${recipient.address} does not accept mail from outside the school`,
      {
        de: `${recipient.address} enthält Schüler:innen und nimmt keine Mails von außerhalb der Schule an.`,
        en: `${recipient.address} includes students and does not accept mail from outside the school.`,
      },
      [recipient.address],
    );
  }
  return { ok: true };
}

/**
 * May this person send a message to these recipients? Checked in this order, each refusal naming
 * the addresses at fault: no recipients → 554 5.5.1; more distinct recipients (compared
 * case-insensitively) than `max_recipients` → 550 5.5.3; an invalid address → 553 5.1.3; a
 * student writing outside `schoolDomain` when `students_outbound` does not allow it → 550 5.7.1.
 * `off` allows only the school's domain itself (not its subdomains); `allowlist` also the domains of
 * `outbound_allowlist`; `on` anything. Teachers and admins may write anywhere.
 */
export function canSend(user: { userId: string; role: PersonRole }, recipients: readonly string[], policy: MailPolicy, schoolDomain: string): Decision {
  const distinct = [...new Map(recipients.map((r) => [r.toLowerCase(), r])).values()];
  if (distinct.length === 0) {
    return refusal(554, "5.5.1", "No valid recipients", { de: "Die Mail hat keine Empfänger.", en: "The mail has no recipients." }, []);
  }
  if (distinct.length > policy.max_recipients) {
    const extra = distinct.slice(policy.max_recipients);
    return refusal(
      550,
      "5.5.3",
      `Too many recipients: ${distinct.length}, at most ${policy.max_recipients}`,
      {
        de: `Zu viele Empfänger: ${distinct.length}, erlaubt sind höchstens ${policy.max_recipients}. Zu viel: ${extra.join(", ")}.`,
        en: `Too many recipients: ${distinct.length}, at most ${policy.max_recipients} are allowed. Over the limit: ${extra.join(", ")}.`,
      },
      extra,
    );
  }
  const invalid = distinct.filter((r) => parseAddress(r) === null);
  if (invalid.length > 0) {
    return refusal(
      553,
      "5.1.3",
      `Invalid recipient address: ${invalid.join(", ")}`,
      {
        de: `Ungültige Adresse: ${invalid.join(", ")}.`,
        en: `Invalid address: ${invalid.join(", ")}.`,
      },
      invalid,
    );
  }
  if (user.role !== "student" || policy.students_outbound === "on") return { ok: true };
  const school = schoolDomain.toLowerCase();
  const blocked = distinct.filter((r) => {
    const domain = parseAddress(r)?.domain ?? "";
    if (domain === school) return false;
    return policy.students_outbound === "off" || !onAllowlist(domain, policy.outbound_allowlist);
  });
  if (blocked.length === 0) return { ok: true };
  return refusal(
    550,
    "5.7.1",
    `Students may not send mail outside the school: ${blocked.join(", ")}`,
    {
      de: `Schüler:innen dürfen keine Mails an Adressen außerhalb der Schule schicken${policy.students_outbound === "allowlist" ? " (außer an freigegebene Domains)" : ""}: ${blocked.join(", ")}.`,
      en: `Students may not send mail to addresses outside the school${policy.students_outbound === "allowlist" ? " (except to approved domains)" : ""}: ${blocked.join(", ")}.`,
    },
    blocked,
  );
}

/** Accept, deliver with a warning, or refuse. */
export type DmarcDecision = { ok: true; action: "accept" } | { ok: true; action: "mark"; user: UserText } | Refusal;

/**
 * What to do with a message from outside after its DMARC check: `pass` and `none` (no DMARC
 * record) → accept; `permerror` (the sender's record is broken, so no policy applies, RFC 7489
 * §6.6.3) → accept; `fail` → mark (warning shown with the message) or, with `dmarc_fail: reject`,
 * 550 5.7.1; `temperror` → 451 4.7.1 so that the sender tries again later.
 */
export function dmarcDecision(result: DmarcResult, policy: MailPolicy): DmarcDecision {
  if (result === "pass" || result === "none" || result === "permerror") return { ok: true, action: "accept" };
  if (result === "temperror") {
    return refusal(451, "4.7.1", "DMARC check failed temporarily, try again later", {
      de: "Die Absenderprüfung (DMARC) ist vorübergehend gescheitert; der Absender versucht es später noch einmal.",
      en: "The sender check (DMARC) failed temporarily; the sender will try again later.",
    });
  }
  if (policy.dmarc_fail === "reject") {
    return refusal(550, "5.7.1", "Message rejected due to DMARC policy", {
      de: "Die Mail wurde abgelehnt: Der Absender ist gefälscht oder nicht bestätigt (DMARC).",
      en: "The mail was rejected: the sender is forged or not verified (DMARC).",
    });
  }
  return {
    ok: true,
    action: "mark",
    user: {
      de: "Achtung: Der Absender dieser Mail konnte nicht bestätigt werden (DMARC). Sie könnte gefälscht sein. Keine Links öffnen und keine Daten preisgeben.",
      en: "Warning: the sender of this mail could not be verified (DMARC). It may be forged. Do not open links or give away any data.",
    },
  };
}

/** The largest message in bytes: `max_message_mb` MiB. */
export function maxMessageBytes(policy: MailPolicy): number {
  return Math.floor(policy.max_message_mb * 1024 * 1024);
}

/** May a message of `bytes` bytes pass? Over `max_message_mb` → 552 5.3.4. */
export function sizeDecision(bytes: number, policy: MailPolicy): Decision {
  if (bytes <= maxMessageBytes(policy)) return { ok: true };
  return refusal(552, "5.3.4", `Message too big, at most ${policy.max_message_mb} MB`, {
    de: `Die Mail ist zu groß; erlaubt sind höchstens ${policy.max_message_mb} MB.`,
    en: `The mail is too big; at most ${policy.max_message_mb} MB are allowed.`,
  });
}

/** The sending limit per hour for a role (`rate_limit`; admins count as teachers). */
export function rateLimitFor(role: PersonRole, policy: MailPolicy): number {
  return role === "student" ? policy.rate_limit.students_per_hour : policy.rate_limit.teachers_per_hour;
}

/** The refusal for RCPT TO at a domain that is not the school's on the inbound port: 550 5.7.1 (no relaying). */
export function relayDenied(address: string): Refusal {
  return refusal(
    550,
    "5.7.1",
    `Relaying denied for ${address}`,
    {
      de: `Dieser Server nimmt nur Mails für die Schule an, nicht für ${address}.`,
      en: `This server only accepts mail for the school, not for ${address}.`,
    },
    [address],
  );
}
