// Nothing lost: mail flows both ways while the bridge (SIGKILL) and Synapse are killed and restarted at random moments.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import nodemailer, { type Transporter } from "nodemailer";
import { DKIM_SELECTOR, OUTSIDE, startMailStack, type MailStack, type MailUser } from "./harness/mailstack.ts";
import { eventually } from "./harness/users.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Lena;Köhler;7a;Mathematik 7a
`;
const INBOUND = 30;
const OUTBOUND = 12;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator, so a failing run can be repeated (seed in the test name's output). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Msg { event_id: string; sender: string; type: string; content: Record<string, unknown> }

describe("mail durability under crashes", { concurrency: false }, () => {
  let stack: MailStack;
  let teacher: MailUser;
  let room = "";
  let threadRoot = "";

  before(async () => {
    stack = await startMailStack("d", ROSTER);
    teacher = await stack.user("juergen.mueller");
  });
  after(async () => stack?.stop());

  const transport = (): Transporter =>
    nodemailer.createTransport({ host: "127.0.0.1", port: stack.smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 5000, dkim: { domainName: OUTSIDE, keySelector: DKIM_SELECTOR, privateKey: stack.outsideKey } });

  /** Sends like a real MTA: retries until the server answers 250. */
  async function deliver(n: number): Promise<string> {
    for (;;) {
      try {
        const info = await transport().sendMail({ from: "Erna Schmidt <erna@outside.test>", to: `juergen.mueller@${stack.domain}`, subject: "Re: Klassenfahrt", text: `Nachricht ${n} von außen`, inReplyTo: threadRoot, references: threadRoot });
        return info.messageId.toLowerCase();
      } catch {
        await sleep(300);
      }
    }
  }

  async function messages(): Promise<Msg[]> {
    return (await teacher.call<{ chunk: Msg[] }>("GET", `/rooms/${encodeURIComponent(room)}/messages?dir=f&limit=1000`)).chunk;
  }

  it("every mail ends up in its room once and in order, every reply reaches the relay once", async () => {
    const seed = Number(process.env.SCHULHOF_CHAOS_SEED ?? Date.now() % 100000);
    process.stderr.write(`mail durability chaos seed ${seed}\n`);
    const random = rng(seed);
    threadRoot = await deliver(0);
    // The conversation room, joined by the teacher.
    let since: string | undefined;
    room = await eventually("invite", async () => {
      // Incremental sync: Synapse caches an initial sync, so polling without `since` sees nothing new.
      const sync = await teacher.call<{ next_batch: string; rooms?: { invite?: Record<string, unknown> } }>("GET", `/sync?timeout=0${since === undefined ? "" : `&since=${encodeURIComponent(since)}`}`);
      since = sync.next_batch;
      const id = Object.keys(sync.rooms?.invite ?? {})[0];
      if (id === undefined) return undefined;
      await teacher.call("POST", `/join/${encodeURIComponent(id)}`, {});
      return id;
    }, 30_000, 300);

    let chaosDone = false;
    const chaos = (async () => {
      for (let round = 0; round < 2; round++) {
        await sleep(500 + random() * 2000);
        await stack.killMail();
        await sleep(500 + random() * 1500);
        await stack.startMail();
        await sleep(500 + random() * 2000);
        await stack.killSynapse();
        await sleep(1000 + random() * 2000);
        await stack.startSynapse();
      }
      chaosDone = true;
    })();
    const accepted: string[] = [];
    const inbound = (async () => {
      for (let i = 1; i <= INBOUND; i++) {
        accepted.push(await deliver(i));
        await sleep(random() * 200);
      }
    })();
    const outbound = (async () => {
      for (let k = 1; k <= OUTBOUND; k++) {
        const txn = `chaos-${seed}-${k}`;
        for (;;) {
          try {
            await teacher.call("PUT", `/rooms/${encodeURIComponent(room)}/send/m.room.message/${txn}`, { msgtype: "m.text", body: `Ausgang ${k} aus Matrix` });
            break;
          } catch {
            await sleep(300);
          }
        }
        await sleep(random() * 400);
      }
    })();
    await Promise.all([chaos, inbound, outbound]);
    assert.ok(chaosDone);

    // Afterwards: each accepted mail exactly once, in the order the server accepted them.
    const inRoom = await eventually(
      "all inbound mail in the room",
      async () => {
        const ids = (await messages()).map((m) => (m.content["de.schulhof.mail"] as { message_id?: string } | undefined)?.message_id?.toLowerCase()).filter((x): x is string => x !== undefined);
        return accepted.every((a) => ids.includes(a)) ? ids : undefined;
      },
      180_000,
      1000,
    );
    for (const a of [threadRoot, ...accepted]) assert.equal(inRoom.filter((x) => x === a).length, 1, `exactly once: ${a}`);
    assert.deepEqual(inRoom.filter((x) => accepted.includes(x)), accepted, "in order");

    const relayed = await eventually(
      "all replies at the relay",
      async () => {
        const r = stack.relayed();
        const bodies = new Set(r.map((x) => /Ausgang (\d+) aus Matrix/.exec(x.raw.toString("utf8"))?.[1]).filter((x) => x !== undefined));
        return bodies.size === OUTBOUND ? r : undefined;
      },
      180_000,
      1000,
    );
    const byId = new Map<string, number>();
    for (const r of relayed) byId.set(r.messageId, (byId.get(r.messageId) ?? 0) + 1);
    // The peer de-duplicates by Message-ID: one Message-ID per reply, whatever was resent after a crash.
    assert.equal(byId.size, OUTBOUND, `distinct Message-IDs: ${[...byId.keys()].join(" ")}`);
    const resent = [...byId.values()].filter((n) => n > 1).length;
    process.stderr.write(`mail durability: ${accepted.length} in, ${OUTBOUND} out, ${resent} resent after a crash (same Message-ID)\n`);
  });
});
