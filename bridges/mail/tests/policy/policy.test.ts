// The mail policy: schema defaults and validation, who may receive from whom, who may send where.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressBook, type Resolved } from "../../src/addresses/index.ts";
import { DEFAULT_MAIL_POLICY, MailPolicySchema, canReceive, canSend, onAllowlist, relayDenied, type MailPolicy, type Sender } from "../../src/policy/index.ts";

const policy = (over: Record<string, unknown> = {}): MailPolicy => MailPolicySchema.parse(over);

const book = new AddressBook({
  domain: "schule.de",
  people: [
    { userId: "@lena.koehler:schule.de", localpart: "lena.koehler", displayName: "Lena Köhler", role: "student", active: true },
    { userId: "@tom.berg:schule.de", localpart: "tom.berg", displayName: "Tom Berg", role: "student", active: true },
    { userId: "@juergen.weiss:schule.de", localpart: "juergen.weiss", displayName: "Jürgen Weiß", role: "teacher", active: true },
    { userId: "@eva.fremd:schule.de", localpart: "eva.fremd", displayName: "Eva Fremd", role: "teacher", active: true },
    { userId: "@anna.admin:schule.de", localpart: "anna.admin", displayName: "Anna Admin", role: "admin", active: true },
  ],
  groups: [
    { kind: "class", name: "Klasse 7a", roomId: "!7a:x", members: ["@lena.koehler:schule.de", "@juergen.weiss:schule.de"] },
    { kind: "course", name: "Mathematik 7a", roomId: "!m:x", members: ["@lena.koehler:schule.de", "@juergen.weiss:schule.de"] },
    { kind: "teachers", name: "Lehrerzimmer", roomId: "!lz:x", members: ["@juergen.weiss:schule.de", "@eva.fremd:schule.de", "@anna.admin:schule.de"] },
  ],
});

const r = (address: string): Resolved | null => book.resolve(address);
const outsider = (address = "mutter@gmx.de", dmarc?: Sender["dmarc"]): Sender => (dmarc === undefined ? { address, internalUserId: null } : { address, internalUserId: null, dmarc });
const insider = (userId: string): Sender => ({ address: `${userId.slice(1, userId.indexOf(":"))}@schule.de`, internalUserId: userId });
const LENA = "@lena.koehler:schule.de";
const TOM = "@tom.berg:schule.de";
const JUERGEN = "@juergen.weiss:schule.de";
const EVA = "@eva.fremd:schule.de";
const ANNA = "@anna.admin:schule.de";

function assertRefused(d: ReturnType<typeof canReceive>, code: number, enhanced: string): void {
  assert.equal(d.ok, false);
  if (d.ok) return;
  assert.equal(d.smtp.code, code);
  assert.equal(d.smtp.enhanced, enhanced);
  assert.match(d.smtp.message, /^[\x20-\x7e]{1,200}$/);
  assert.ok(d.user.de.length > 0 && d.user.en.length > 0);
}

describe("MailPolicySchema", () => {
  it("defaults are the safe ones for children", () => {
    assert.deepEqual(DEFAULT_MAIL_POLICY, {
      students_outbound: "allowlist",
      outbound_allowlist: [],
      inbound_external_to_students: false,
      dmarc_fail: "mark",
      rate_limit: { students_per_hour: 30, teachers_per_hour: 200 },
      max_message_mb: 25,
      max_recipients: 100,
      group_senders: { class: "teachers", course: "members", teachers: "teachers" },
    });
  });

  it("fills nested defaults and normalises allowlist entries", () => {
    const p = policy({ rate_limit: { students_per_hour: 5 }, group_senders: { course: "school" }, outbound_allowlist: [" Partnerschule.FR ", "*.Bildung.de", "xn--mnchen-3ya.de"] });
    assert.deepEqual(p.rate_limit, { students_per_hour: 5, teachers_per_hour: 200 });
    assert.deepEqual(p.group_senders, { class: "teachers", course: "school", teachers: "teachers" });
    assert.deepEqual(p.outbound_allowlist, ["partnerschule.fr", "*.bildung.de", "xn--mnchen-3ya.de"]);
  });

  it("refuses typos, bad values and bad domains", () => {
    for (const bad of [
      { student_outbound: "on" },
      { students_outbound: "yes" },
      { outbound_allowlist: ["münchen.de"] },
      { outbound_allowlist: ["*"] },
      { outbound_allowlist: ["*.de.", "x"] },
      { outbound_allowlist: ["a@b.de"] },
      { rate_limit: { students_per_hour: 0 } },
      { rate_limit: { students_per_hour: 1.5 } },
      { max_recipients: 0 },
      { max_message_mb: -1 },
      { group_senders: { class: "everyone" } },
      { group_senders: { klasse: "anyone" } },
      { dmarc_fail: "quarantine" },
    ]) {
      assert.equal(MailPolicySchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

describe("onAllowlist", () => {
  it("matches exact entries exactly and wildcards only below the domain", () => {
    const list = ["partnerschule.fr", "*.bildung.de"];
    assert.equal(onAllowlist("partnerschule.fr", list), true);
    assert.equal(onAllowlist("PARTNERSCHULE.FR", list), true);
    assert.equal(onAllowlist("mail.partnerschule.fr", list), false, "exact entry: no subdomains");
    assert.equal(onAllowlist("evilpartnerschule.fr", list), false);
    assert.equal(onAllowlist("partnerschule.fr.evil.org", list), false);
    assert.equal(onAllowlist("schule.bildung.de", list), true);
    assert.equal(onAllowlist("a.b.bildung.de", list), true);
    assert.equal(onAllowlist("bildung.de", list), false, "wildcard: not the domain itself");
    assert.equal(onAllowlist("evilbildung.de", list), false);
  });
});

describe("canReceive", () => {
  it("refuses unknown, inactive and non-delivered reserved addresses with 550 5.1.1", () => {
    assertRefused(canReceive(r("nobody@schule.de"), outsider(), DEFAULT_MAIL_POLICY), 550, "5.1.1");
    assertRefused(canReceive(null, insider(JUERGEN), DEFAULT_MAIL_POLICY, "teacher"), 550, "5.1.1");
    for (const n of ["noreply", "mailer-daemon", "root", "admin"]) assertRefused(canReceive(r(`${n}@schule.de`), outsider(), DEFAULT_MAIL_POLICY), 550, "5.1.1");
  });

  it("accepts postmaster and abuse from anyone", () => {
    for (const a of ["postmaster@schule.de", "abuse@schule.de", "Postmaster", "ABUSE+spam@schule.de"]) {
      assert.deepEqual(canReceive(r(a), outsider(""), DEFAULT_MAIL_POLICY), { ok: true }, a);
    }
  });

  it("lets everyone inside reach students, and outsiders reach teachers and admins", () => {
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), insider(TOM), DEFAULT_MAIL_POLICY, "student"), { ok: true });
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), insider(JUERGEN), DEFAULT_MAIL_POLICY, "teacher"), { ok: true });
    assert.deepEqual(canReceive(r("juergen.weiss@schule.de"), outsider(), DEFAULT_MAIL_POLICY), { ok: true });
    assert.deepEqual(canReceive(r("anna.admin@schule.de"), outsider("x@evil.org", "fail"), DEFAULT_MAIL_POLICY), { ok: true });
  });

  it("refuses outsiders to students by default with 550 5.7.1, naming the address", () => {
    const d = canReceive(r("Lena.Koehler+x@schule.de"), outsider(), DEFAULT_MAIL_POLICY);
    assertRefused(d, 550, "5.7.1");
    assert.ok(!d.ok && d.addresses?.[0] === "lena.koehler@schule.de");
    assert.ok(!d.ok && d.smtp.message.includes("lena.koehler@schule.de"));
  });

  it("does not take a school address in MAIL FROM for an insider (spoofing)", () => {
    assertRefused(canReceive(r("lena.koehler@schule.de"), { address: "juergen.weiss@schule.de", internalUserId: null }, DEFAULT_MAIL_POLICY, "teacher"), 550, "5.7.1");
    assertRefused(canReceive(r("kollegium@schule.de"), { address: "anna.admin@schule.de", internalUserId: null }, DEFAULT_MAIL_POLICY, "admin"), 550, "5.7.1");
  });

  it("refuses bounces (null sender) to students", () => {
    assertRefused(canReceive(r("lena.koehler@schule.de"), outsider(""), policy({ outbound_allowlist: ["gmx.de"] })), 550, "5.7.1");
  });

  it("lets outsiders reach students when allowed, or from allowlisted domains with DMARC pass", () => {
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), outsider(), policy({ inbound_external_to_students: true })), { ok: true });
    const p = policy({ outbound_allowlist: ["partnerschule.fr", "*.bildung.de"] });
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), outsider("prof@partnerschule.fr"), p), { ok: true }, "at RCPT: DMARC not known yet");
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), outsider("prof@partnerschule.fr", "pass"), p), { ok: true });
    for (const dmarc of ["fail", "none", "temperror", "permerror"] as const) {
      assertRefused(canReceive(r("lena.koehler@schule.de"), outsider("prof@partnerschule.fr", dmarc), p), 550, "5.7.1");
    }
    assert.deepEqual(canReceive(r("lena.koehler@schule.de"), outsider("a@x.bildung.de"), p), { ok: true });
    assertRefused(canReceive(r("lena.koehler@schule.de"), outsider("a@mail.partnerschule.fr"), p), 550, "5.7.1");
    assertRefused(canReceive(r("lena.koehler@schule.de"), outsider("a@bildung.de"), p), 550, "5.7.1");
    assertRefused(canReceive(r("lena.koehler@schule.de"), outsider("prof@partnerschule.fr@evil.org"), p), 550, "5.7.1");
  });

  describe("group senders", () => {
    const group = (senders: "members" | "teachers" | "school" | "anyone", hasStudents = true): Resolved => ({
      kind: "group", groupKind: "course", name: "Mathematik 7a", roomId: "!m:x", members: [LENA, JUERGEN], senders, hasStudents, address: "kurs-mathematik-7a@schule.de",
    });
    const cases: [string, Sender, "student" | "teacher" | "admin" | undefined][] = [
      ["member student", insider(LENA), "student"],
      ["member teacher", insider(JUERGEN), "teacher"],
      ["other student", insider(TOM), "student"],
      ["other teacher", insider(EVA), "teacher"],
      ["admin, not a member", insider(ANNA), "admin"],
      ["insider without role", insider(TOM), undefined],
      ["outsider", outsider(), undefined],
      ["outsider claiming to be a member", { address: "lena.koehler@schule.de", internalUserId: null }, "teacher"],
    ];
    const expected: Record<string, boolean[]> = {
      members: [true, true, false, false, false, false, false, false],
      teachers: [false, true, false, true, true, false, false, false],
      school: [true, true, true, true, true, true, false, false],
      anyone: [true, true, true, true, true, true, false, false],
    };
    for (const senders of ["members", "teachers", "school", "anyone"] as const) {
      it(`${senders}`, () => {
        cases.forEach(([label, sender, role], i) => {
          const d = canReceive(group(senders), sender, DEFAULT_MAIL_POLICY, role);
          assert.equal(d.ok, expected[senders]?.[i], `${senders}: ${label}`);
          if (!d.ok) {
            assertRefused(d, 550, "5.7.1");
            assert.deepEqual(d.addresses, ["kurs-mathematik-7a@schule.de"]);
          }
        });
      });
    }

    it("anyone lets outsiders reach a group without students, and one with students only when students may get outside mail", () => {
      assert.deepEqual(canReceive(group("anyone", false), outsider(), DEFAULT_MAIL_POLICY), { ok: true });
      assertRefused(canReceive(group("anyone", true), outsider(), DEFAULT_MAIL_POLICY), 550, "5.7.1");
      assert.deepEqual(canReceive(group("anyone", true), outsider(), policy({ inbound_external_to_students: true })), { ok: true });
      assert.deepEqual(canReceive(group("anyone", true), outsider("a@partner.de", "pass"), policy({ outbound_allowlist: ["partner.de"] })), { ok: true });
    });

    it("defaults: classes from teachers, courses from members, Kollegium from teachers and admins", () => {
      assert.equal(canReceive(r("klasse-7a@schule.de"), insider(EVA), DEFAULT_MAIL_POLICY, "teacher").ok, true);
      assert.equal(canReceive(r("klasse-7a@schule.de"), insider(LENA), DEFAULT_MAIL_POLICY, "student").ok, false);
      assert.equal(canReceive(r("kurs-mathematik-7a@schule.de"), insider(LENA), DEFAULT_MAIL_POLICY, "student").ok, true);
      assert.equal(canReceive(r("kurs-mathematik-7a@schule.de"), insider(TOM), DEFAULT_MAIL_POLICY, "student").ok, false);
      assert.equal(canReceive(r("kurs-mathematik-7a@schule.de"), insider(EVA), DEFAULT_MAIL_POLICY, "teacher").ok, false);
      assert.equal(canReceive(r("kollegium@schule.de"), insider(ANNA), DEFAULT_MAIL_POLICY, "admin").ok, true);
      assert.equal(canReceive(r("kollegium@schule.de"), insider(LENA), DEFAULT_MAIL_POLICY, "student").ok, false);
      assert.equal(canReceive(r("kollegium@schule.de"), outsider(), DEFAULT_MAIL_POLICY).ok, false);
      assert.equal(canReceive(r("klasse-7a@schule.de"), outsider(), DEFAULT_MAIL_POLICY).ok, false);
    });
  });

  it("relayDenied refuses other domains with 550 5.7.1", () => {
    const d = relayDenied("x@evil.org");
    assert.equal(d.smtp.code, 550);
    assert.equal(d.smtp.enhanced, "5.7.1");
    assert.deepEqual(d.addresses, ["x@evil.org"]);
  });
});

describe("canSend", () => {
  const student = { userId: LENA, role: "student" as const };
  const teacher = { userId: JUERGEN, role: "teacher" as const };
  const admin = { userId: ANNA, role: "admin" as const };
  const mixed = ["tom.berg@schule.de", "KLASSE-7A@Schule.de", "freund@gmx.de", "prof@partnerschule.fr", "a@mail.partnerschule.fr", "b@x.bildung.de"];
  const allow = { outbound_allowlist: ["partnerschule.fr", "*.bildung.de"] };

  function refusedFor(d: ReturnType<typeof canSend>): string[] | null {
    if (d.ok) return null;
    assert.equal(d.smtp.code, 550);
    assert.equal(d.smtp.enhanced, "5.7.1");
    for (const a of d.addresses ?? []) assert.ok(d.user.de.includes(a) && d.user.en.includes(a), a);
    return d.addresses ?? [];
  }

  it("students always reach the school's own domain", () => {
    for (const mode of ["off", "allowlist", "on"]) {
      assert.deepEqual(canSend(student, ["tom.berg@schule.de", "KLASSE-7A@SCHULE.DE", "nobody@schule.de"], policy({ students_outbound: mode }), "schule.de"), { ok: true }, mode);
    }
  });

  it("off: nothing outside, not even allowlisted domains or subdomains of the school", () => {
    const p = policy({ students_outbound: "off", ...allow });
    assert.deepEqual(refusedFor(canSend(student, [...mixed, "x@sub.schule.de"], p, "schule.de")), ["freund@gmx.de", "prof@partnerschule.fr", "a@mail.partnerschule.fr", "b@x.bildung.de", "x@sub.schule.de"]);
  });

  it("allowlist (default, empty): only the school", () => {
    assert.deepEqual(refusedFor(canSend(student, ["freund@gmx.de"], DEFAULT_MAIL_POLICY, "schule.de")), ["freund@gmx.de"]);
  });

  it("allowlist: exact entries exactly, wildcard entries for subdomains", () => {
    const p = policy(allow);
    assert.deepEqual(refusedFor(canSend(student, mixed, p, "schule.de")), ["freund@gmx.de", "a@mail.partnerschule.fr"]);
    assert.deepEqual(canSend(student, ["prof@PartnerSchule.fr", "b@x.bildung.de", "tom.berg@schule.de"], p, "schule.de"), { ok: true });
    assert.deepEqual(refusedFor(canSend(student, ["x@partnerschule.fr.evil.org"], p, "schule.de")), ["x@partnerschule.fr.evil.org"]);
  });

  it("on: anywhere", () => {
    assert.deepEqual(canSend(student, mixed, policy({ students_outbound: "on" }), "schule.de"), { ok: true });
  });

  it("teachers and admins are not affected by students_outbound", () => {
    for (const who of [teacher, admin]) assert.deepEqual(canSend(who, mixed, policy({ students_outbound: "off" }), "schule.de"), { ok: true });
  });

  it("allows exactly max_recipients distinct recipients and refuses one more with 550 5.5.3", () => {
    const rcpts = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}@schule.de`);
    assert.deepEqual(canSend(teacher, rcpts(100), DEFAULT_MAIL_POLICY, "schule.de"), { ok: true });
    const d = canSend(teacher, rcpts(101), DEFAULT_MAIL_POLICY, "schule.de");
    assert.ok(!d.ok);
    assert.equal(d.smtp.code, 550);
    assert.equal(d.smtp.enhanced, "5.5.3");
    assert.deepEqual(d.addresses, ["s100@schule.de"]);
    assert.match(d.user.de, /101.*100.*s100@schule\.de/);
    // Duplicates (also in other case) count once.
    assert.deepEqual(canSend(teacher, [...rcpts(100), "S0@schule.de", "s1@SCHULE.DE"], DEFAULT_MAIL_POLICY, "schule.de"), { ok: true });
    assert.equal(canSend(teacher, rcpts(3), policy({ max_recipients: 2 }), "schule.de").ok, false);
  });

  it("refuses invalid addresses with 553 5.1.3, naming them", () => {
    const bad = ["lena.koehler@schule.de@evil.org", "\"x\"@schule.de", "Lena <lena@schule.de>", "ü@x.de", `${"a".repeat(65)}@x.de`];
    const d = canSend(teacher, ["ok@schule.de", ...bad], DEFAULT_MAIL_POLICY, "schule.de");
    assert.ok(!d.ok);
    assert.equal(d.smtp.code, 553);
    assert.equal(d.smtp.enhanced, "5.1.3");
    assert.deepEqual(d.addresses, bad);
    assert.match(d.smtp.message, /^[\x20-\x7e]{1,200}$/);
  });

  it("refuses an empty recipient list with 554 5.5.1", () => {
    const d = canSend(teacher, [], DEFAULT_MAIL_POLICY, "schule.de");
    assert.ok(!d.ok);
    assert.equal(d.smtp.code, 554);
  });

  it("keeps the SMTP text short when many addresses are refused", () => {
    const many = Array.from({ length: 60 }, (_, i) => `freund${i}@gmx.de`);
    const d = canSend(student, many, DEFAULT_MAIL_POLICY, "schule.de");
    assert.ok(!d.ok);
    assert.ok(d.smtp.message.length <= 200);
    assert.equal(d.addresses?.length, 60);
    assert.ok(d.user.de.includes("freund59@gmx.de"));
  });
});
