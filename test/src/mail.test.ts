// Mail both ways against real peers: swaks and a DKIM-signing client from outside, the bridge, Synapse, and a capturing relay.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import nodemailer, { type Transporter } from "nodemailer";
import { authenticate } from "mailauth";
import { simpleParser } from "mailparser";
import { DKIM_SELECTOR, EVIL, OUTSIDE, startMailStack, type MailStack, type MailUser } from "./harness/mailstack.ts";
import { eventually } from "./harness/users.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Lena;Köhler;7a;Mathematik 7a
Schüler;Jonas;Groß;7a;Mathematik 7a
`;

interface Msg { event_id: string; sender: string; type: string; content: Record<string, unknown> }

/** Invites seen by incremental sync, joined when their room name starts with `prefix`. */
async function joinInviteNamed(u: MailUser, prefix: string, seen: Map<string, string>, since: { v?: string }): Promise<string> {
  return eventually(`${u.localpart} invited to ${prefix}`, async () => {
    const q = since.v === undefined ? "timeout=0" : `timeout=0&since=${encodeURIComponent(since.v)}`;
    const body = await u.call<{ next_batch: string; rooms?: { invite?: Record<string, { invite_state: { events: { type: string; content: { name?: string } }[] } }> } }>("GET", `/sync?${q}`);
    since.v = body.next_batch;
    for (const [id, r] of Object.entries(body.rooms?.invite ?? {})) seen.set(id, r.invite_state.events.find((e) => e.type === "m.room.name")?.content.name ?? "");
    const hit = [...seen.entries()].find(([, n]) => n.startsWith(prefix));
    if (hit === undefined) return undefined;
    await u.call("POST", `/join/${encodeURIComponent(hit[0])}`, {});
    seen.delete(hit[0]);
    return hit[0];
  }, 30_000, 300);
}

async function messages(u: MailUser, roomId: string): Promise<Msg[]> {
  const r = await u.call<{ chunk: Msg[] }>("GET", `/rooms/${encodeURIComponent(roomId)}/messages?dir=f&limit=200`);
  return r.chunk;
}

let txn = 0;
async function say(u: MailUser, roomId: string, body: string): Promise<string> {
  return (await u.call<{ event_id: string }>("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}-${txn++}`, { msgtype: "m.text", body })).event_id;
}

/** A mailauth DNS resolver over a static table (never the system DNS). */
function resolver(records: Record<string, Record<string, string[][]>>) {
  return async (name: string, type: string): Promise<string[][]> => {
    const r = records[name.toLowerCase()]?.[type];
    if (r === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return r;
  };
}

function swaks(stack: MailStack, args: string[]): { status: number | null; out: string } {
  const r = spawnSync("swaks", ["--server", "127.0.0.1", "--port", String(stack.smtpPort), "--timeout", "20", ...args], { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("mail bridge with real SMTP peers", { concurrency: false }, () => {
  let stack: MailStack;
  let teacher: MailUser;
  let student: MailUser;
  const seen = new Map<string, string>();
  const since: { v?: string } = {};
  let room = "";
  let firstId = "";

  before(async () => {
    stack = await startMailStack("a", ROSTER);
    teacher = await stack.user("juergen.mueller");
    student = await stack.user("lena.koehler");
  });
  after(async () => stack?.stop());

  const outside = (): Transporter =>
    nodemailer.createTransport({ host: "127.0.0.1", port: stack.smtpPort, secure: false, ignoreTLS: true, dkim: { domainName: OUTSIDE, keySelector: DKIM_SELECTOR, privateKey: stack.outsideKey } });

  it("delivers a DKIM-signed mail from outside into a new room of the teacher, sent by the sender's puppet", async () => {
    const info = await outside().sendMail({
      from: "Erna Schmidt <erna@outside.test>",
      to: `juergen.mueller@${stack.domain}`,
      subject: "Elternsprechtag am Donnerstag",
      text: "Guten Tag Herr Müller, passt Ihnen 15 Uhr?",
      html: "<p>Guten Tag Herr Müller, passt Ihnen <b>15 Uhr</b>?</p><script>alert(1)</script><img src=\"https://tracker.example/p.gif\" width=1 height=1><a href=\"javascript:alert(1)\">klick</a>",
    });
    firstId = info.messageId.toLowerCase();
    room = await joinInviteNamed(teacher, "Elternsprechtag", seen, since);
    const m = await eventually("mail in the room", async () => (await messages(teacher, room)).find((x) => x.type === "m.room.message" && String(x.content.body).includes("15 Uhr")));
    assert.match(m.sender, /^@_mail_erna=40outside\.test:/);
    const meta = m.content["de.schulhof.mail"] as { message_id: string; dmarc: string };
    assert.equal(meta.message_id.toLowerCase(), firstId);
    assert.equal(meta.dmarc, "pass");
    const html = String(m.content.formatted_body);
    assert.match(html, /<b>15 Uhr<\/b>/);
    assert.doesNotMatch(html, /<script|javascript:|tracker\.example/);
  });

  it("sends the teacher's reply from Matrix to the outside, DKIM-signed, threaded, with name and address", async () => {
    await say(teacher, room, "Ja, 15 Uhr passt gut.");
    const sent = await eventually("reply at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("15 Uhr passt gut")));
    const parsed = await simpleParser(sent.raw);
    assert.deepEqual(parsed.from?.value[0], { address: `juergen.mueller@${stack.domain}`, name: "Jürgen Müller" });
    assert.equal(parsed.inReplyTo?.toLowerCase(), firstId);
    assert.equal(parsed.subject, "Re: Elternsprechtag am Donnerstag");
    const res = await authenticate(sent.raw, {
      ip: "127.0.0.1",
      helo: "relay.test",
      sender: `bounce@${stack.domain}`,
      mta: "relay.test",
      resolver: resolver({ [`schulhof._domainkey.${stack.domain}`]: { TXT: [[stack.schoolDkimRecord]] } }) as never,
    });
    const dkim = (res.dkim as { results: { status: { result: string }; signingDomain: string }[] }).results;
    assert.ok(dkim.some((r) => r.status.result === "pass" && r.signingDomain === stack.domain), JSON.stringify(dkim.map((r) => r.status)));
  });

  it("keeps the thread over three round trips in one room", async () => {
    let last = stack.relayed().at(-1)?.messageId ?? "";
    const refs = [firstId];
    for (let round = 2; round <= 3; round++) {
      refs.push(last);
      const info = await outside().sendMail({ from: "Erna Schmidt <erna@outside.test>", to: `juergen.mueller@${stack.domain}`, subject: "Re: Elternsprechtag am Donnerstag", text: `Runde ${round} von außen`, inReplyTo: last, references: refs.join(" ") });
      refs.push(info.messageId.toLowerCase());
      await eventually(`round ${round} in the same room`, async () => ((await messages(teacher, room)).some((x) => String(x.content.body).includes(`Runde ${round} von außen`)) ? true : undefined));
      await say(teacher, room, `Antwort ${round} aus Matrix`);
      const sent = await eventually(`answer ${round} at the relay`, async () => stack.relayed().find((r) => r.raw.toString("utf8").includes(`Antwort ${round} aus Matrix`)));
      assert.match(sent.raw.toString("utf8"), new RegExp(`^In-Reply-To: ${info.messageId.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "im"));
      last = sent.messageId;
    }
    assert.equal(seen.size, 0, "no new rooms for the replies");
  });

  it("delivers a mail sent twice with the same Message-ID once (a sender that missed our 250 sends again)", async () => {
    const mail = { from: "Erna Schmidt <erna@outside.test>", to: `juergen.mueller@${stack.domain}`, subject: "Re: Elternsprechtag am Donnerstag", text: "Doppelt gesendet", messageId: "<doppelt-1@outside.test>", inReplyTo: firstId };
    await outside().sendMail(mail);
    await outside().sendMail(mail);
    await outside().sendMail({ ...mail, text: "Danach", messageId: "<danach-1@outside.test>" });
    await eventually("the mail after", async () => ((await messages(teacher, room)).some((x) => String(x.content.body).includes("Danach")) ? true : undefined));
    assert.equal((await messages(teacher, room)).filter((x) => String(x.content.body).includes("Doppelt gesendet")).length, 1);
  });

  it("refuses unknown recipients at RCPT (550) and outside mail to students by default (550 5.7.1), with swaks", async () => {
    const unknown = swaks(stack, ["--from", "erna@outside.test", "--to", `niemand@${stack.domain}`, "--header", "Subject: x", "--body", "x"]);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.out, /<\*\* +550 5\.1\.1/);
    const toStudent = swaks(stack, ["--from", "erna@outside.test", "--to", `lena.koehler@${stack.domain}`, "--header", "Subject: x", "--body", "x"]);
    assert.match(toStudent.out, /<\*\* +550 5\.7\.1/);
    const relay = swaks(stack, ["--from", "erna@outside.test", "--to", "someone@elsewhere.test", "--header", "Subject: x", "--body", "x"]);
    assert.match(relay.out, /<\*\* +550 5\.7\.1/);
    const ok = swaks(stack, ["--from", "hausmeister@outside.test", "--to", `juergen.mueller@${stack.domain}`, "--header", "Subject: Heizung im Raum 12", "--body", "Die Heizung ist repariert."]);
    assert.equal(ok.status, 0, ok.out);
    await joinInviteNamed(teacher, "Heizung im Raum 12", seen, since);
  });

  it("marks mail that fails DMARC visibly", async () => {
    const r = swaks(stack, ["--from", "chef@evil.test", "--h-From", "Der Chef <chef@evil.test>", "--to", `juergen.mueller@${stack.domain}`, "--header", "Subject: Dringende Überweisung", "--body", "Bitte sofort zahlen."]);
    assert.equal(r.status, 0, r.out);
    const roomId = await joinInviteNamed(teacher, "Dringende", seen, since);
    const m = await eventually("dmarc-failed mail", async () => (await messages(teacher, roomId)).find((x) => String(x.content.body).includes("sofort zahlen")));
    assert.match(String(m.content.body), /DMARC/);
    assert.equal((m.content["de.schulhof.mail"] as { dmarc: string }).dmarc, "fail");
    void EVIL;
  });

  it("starts a new mail with !mail and sends what the teacher writes; the web API does the same, with attachments, and shows admins the policy", async () => {
    const dm = (await teacher.call<{ room_id: string }>("POST", "/createRoom", { invite: [`@mail:${stack.serverName}`], is_direct: true, preset: "trusted_private_chat" })).room_id;
    await eventually("mail bot joined", async () => {
      const m = await teacher.call<{ joined: Record<string, unknown> }>("GET", `/rooms/${encodeURIComponent(dm)}/joined_members`);
      return `@mail:${stack.serverName}` in m.joined ? true : undefined;
    });
    await say(teacher, dm, "!mail erna@outside.test Wandertag nach Goslar");
    const conv = await joinInviteNamed(teacher, "Wandertag nach Goslar", seen, since);
    await say(teacher, conv, "Liebe Frau Schmidt, wir brauchen noch eine Begleitperson.");
    const sent = await eventually("new mail at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("Begleitperson")));
    const parsed = await simpleParser(sent.raw);
    assert.equal(parsed.subject, "Wandertag nach Goslar");
    assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : "", "erna@outside.test");
    assert.equal(parsed.inReplyTo, undefined);

    // The web client: OpenID token of the teacher → session → POST /mails.
    const openid = await teacher.call<Record<string, unknown>>("POST", `/user/${encodeURIComponent(teacher.userId)}/openid/request_token`, {});
    const api = `http://127.0.0.1:${stack.mailPort}/_schulhof/mail/v1`;
    const ex = await fetch(`${api}/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: openid }) });
    const { token } = (await ex.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    assert.deepEqual(await (await fetch(`${api}/address`, { headers: auth })).json(), { address: `juergen.mueller@${stack.domain}`, max_attachment_bytes: 25 * 1024 * 1024, max_attachments: 20 });
    const made = await fetch(`${api}/mails`, { method: "POST", headers: auth, body: JSON.stringify({ to: "erna@outside.test", subject: "Elternbrief Nr. 3", text: "Anbei der Elternbrief." }) });
    assert.equal(made.status, 200, await made.clone().text());
    await eventually("API mail at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("Anbei der Elternbrief")));
    const convs = (await (await fetch(`${api}/conversations`, { headers: auth })).json()) as { conversations: { subject: string; last_activity: number }[]; next_cursor: string | null };
    assert.equal(convs.conversations[0]?.subject, "Elternbrief Nr. 3", "newest activity first");
    assert.ok(Math.abs((convs.conversations[0]?.last_activity ?? 0) - Date.now()) < 120_000);
    assert.equal(convs.next_cursor, null);
    assert.equal((await fetch(`${api}/conversations`)).status, 401);

    // With an attachment uploaded to the homeserver first: one mail carries text and file.
    const up = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=${encodeURIComponent("Elternbrief 4: „Ausflug“.txt")}`, {
      method: "POST",
      headers: { authorization: `Bearer ${teacher.token}`, "content-type": "text/plain" },
      body: "Inhalt des Elternbriefs",
    });
    const { content_uri: mxc } = (await up.json()) as { content_uri: string };
    const withFile = await fetch(`${api}/mails`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ to: "erna@outside.test", subject: "Elternbrief Nr. 4", text: "Der Brief hängt an.", attachments: [{ mxc, name: "Elternbrief 4: „Ausflug“.txt", type: "text/plain" }] }),
    });
    assert.equal(withFile.status, 200, await withFile.clone().text());
    const one = await eventually("API mail with its file at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("Der Brief h")));
    const parsedOne = await simpleParser(one.raw);
    assert.deepEqual(parsedOne.attachments.map((a) => [a.filename, a.content.toString("utf8")]), [["Elternbrief 4: „Ausflug“.txt", "Inhalt des Elternbriefs"]]);
    const foreign = await fetch(`${api}/mails`, { method: "POST", headers: auth, body: JSON.stringify({ to: "erna@outside.test", subject: "x", text: "x", attachments: [{ mxc: "mxc://other.test/abc", name: "a.txt" }] }) });
    assert.equal(foreign.status, 400);
    const missing = await fetch(`${api}/mails`, { method: "POST", headers: auth, body: JSON.stringify({ to: "erna@outside.test", subject: "x", text: "x", attachments: [{ mxc: `mxc://${stack.serverName}/gibtesnicht`, name: "a.txt" }] }) });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { errcode: string }).errcode, "M_NOT_FOUND");

    // The school's policy: for admins only.
    assert.equal((await fetch(`${api}/policy`, { headers: auth })).status, 403);
    const admin = await stack.user("birgit.schaefer");
    const adminOpenid = await admin.call<Record<string, unknown>>("POST", `/user/${encodeURIComponent(admin.userId)}/openid/request_token`, {});
    const adminSession = (await (await fetch(`${api}/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: adminOpenid }) })).json()) as { token: string };
    const policy = await fetch(`${api}/policy`, { headers: { authorization: `Bearer ${adminSession.token}` } });
    assert.equal(policy.status, 200);
    const body = (await policy.json()) as { mail_domain: string; policy: { students_outbound: string } };
    assert.equal(body.mail_domain, stack.domain);
    assert.equal(body.policy.students_outbound, "allowlist");
  });

  it("delivers a teacher's mail to the class address to each student, and refuses a student writing to it", async () => {
    const dm = (await teacher.call<{ room_id: string }>("POST", "/createRoom", { invite: [`@mail:${stack.serverName}`], is_direct: true, preset: "trusted_private_chat" })).room_id;
    await eventually("mail bot joined", async () => {
      const m = await teacher.call<{ joined: Record<string, unknown> }>("GET", `/rooms/${encodeURIComponent(dm)}/joined_members`);
      return `@mail:${stack.serverName}` in m.joined ? true : undefined;
    });
    await say(teacher, dm, `!mail klasse-7a@${stack.domain} Bücherliste`);
    const conv = await joinInviteNamed(teacher, "Bücherliste", seen, since);
    await say(teacher, conv, "Bitte bis Freitag die Bücher besorgen.");
    const studentSeen = new Map<string, string>();
    const studentSince: { v?: string } = {};
    const inbox = await joinInviteNamed(student, "Bücherliste", studentSeen, studentSince);
    const m = await eventually("class mail at the student", async () => (await messages(student, inbox)).find((x) => String(x.content.body).includes("Bücher besorgen")));
    assert.match(String((m.content["de.schulhof.mail"] as { from: { address: string } }).from.address), /juergen\.mueller@/);
    assert.equal(stack.relayed().filter((r) => r.raw.toString("utf8").includes("Bücher besorgen")).length, 0, "school mail does not leave the school");
  });

  it("refuses a student's mail to outside the school (policy), answering in the room", async () => {
    const dm = (await student.call<{ room_id: string }>("POST", "/createRoom", { invite: [`@mail:${stack.serverName}`], is_direct: true, preset: "trusted_private_chat" })).room_id;
    await eventually("mail bot joined", async () => {
      const m = await student.call<{ joined: Record<string, unknown> }>("GET", `/rooms/${encodeURIComponent(dm)}/joined_members`);
      return `@mail:${stack.serverName}` in m.joined ? true : undefined;
    });
    const cmd = await say(student, dm, "!mail freundin@outside.test Hallo");
    const reply = await eventually("refusal", async () =>
      (await messages(student, dm)).find((x) => (x.content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined)?.["m.in_reply_to"]?.event_id === cmd),
    );
    assert.match(String(reply.content.body), /nicht als E-Mail verschickt/);
    assert.equal(stack.relayed().filter((r) => r.raw.toString("utf8").includes("freundin@outside.test")).length, 0);
  });
});
