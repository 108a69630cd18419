// The mail bridge appservice (`@mail`, puppets `@_mail_…`): SMTP in → rooms, rooms → SMTP out, nothing lost in between.
import { MailBridgeConfigSchema, type MailBridgeConfig } from "./config.ts";
import { asIntakeError, type AppserviceDefinition, type MatrixEvent, type OutboxAction } from "@schulhof/core";
import { noticeContent } from "@schulhof/core";
import { canReceive, dmarcDecision, relayDenied, type DmarcResult } from "./policy/index.ts";
import { isPuppet, type AddressBook } from "./addresses/index.ts";
import { MAIL_MIGRATIONS } from "./store/migrations.ts";
import { Directory } from "./directory.ts";
import { runInbound } from "./deliver.ts";
import { isMailCommand, onConversationMessage, onMailCommand, type OutgoingEnv } from "./outgoing.ts";
import { startInboundServer, staticResolver, storeInbound } from "./inbound/index.ts";
import { bounceText, handleBounce, outcomeText, parseBounceAddress, startOutboundSender } from "./outbound/index.ts";
import { createHash } from "node:crypto";
import { mailApi } from "./api.ts";

/** Events kept at intake: messages of local people in rooms of the bridge, and invites of its bot. */
export function mailAccepts(event: MatrixEvent, botUserId: string): boolean {
  if (event.type === "m.room.member") return event.state_key === botUserId && event.content.membership === "invite";
  if (event.type !== "m.room.message" || event.sender === botUserId) return false;
  const local = event.sender.slice(1).split(":")[0] ?? "";
  return !isPuppet(local);
}

export const mailAppservice: AppserviceDefinition<MailBridgeConfig> = {
  name: "mail",
  migrations: MAIL_MIGRATIONS,
  accepts: mailAccepts,
  async create(ctx, rawConfig) {
    const config = MailBridgeConfigSchema.parse(rawConfig);
    const policy = config.policy;
    const directory = new Directory({ url: config.directoryUrl, token: config.adminApiToken, domain: config.mailDomain, groupSenders: policy.group_senders, log: ctx.log, maxAgeMs: config.directoryRefreshMs });
    const outEnv: OutgoingEnv = {
      serverName: config.serverName,
      mailDomain: config.mailDomain,
      lang: config.language,
      policy,
      verpSecret: config.verpSecret,
      botUserId: ctx.matrix.botUserId,
      maxAttachmentBytes: policy.max_message_mb * 1024 * 1024,
    };
    const notice = (roomId: string, text: string): OutboxAction => ({ kind: "message", roomId, eventType: "m.room.message", content: noticeContent(text) });
    const sender = startOutboundSender({
      db: ctx.db,
      log: ctx.log,
      relay: config.relay,
      dkim: { domainName: config.mailDomain, keySelector: config.dkim.selector, privateKey: config.dkim.privateKey },
      maxAgeMs: config.maxAgeMs,
      backoffBaseMs: config.backoffBaseMs,
      hostname: config.smtp.hostname,
      onOutcome: async (tx, row, outcome) => {
        if (outcome.kind === "sent") return;
        await ctx.outbox.enqueue(tx, `outcome:${row.id}`, notice(row.roomId, outcomeText(outcome, config.language)));
        setImmediate(() => ctx.outbox.kick());
      },
    });
    const resolver = config.dns === null ? undefined : staticResolver(config.dns as never);
    let server: { port: number; close(): Promise<void> } | null = null;
    let lastBook: AddressBook | null = null;
    let timer: NodeJS.Timeout | null = null;
    let ticking = false;
    const isBounceAddress = (rcpt: string): boolean => parseBounceAddress(rcpt, config.mailDomain, config.verpSecret) !== null;
    const tick = async (): Promise<void> => {
      if (ticking) return;
      ticking = true;
      try {
        await runInbound(ctx, {
          serverName: config.serverName,
          mailDomain: config.mailDomain,
          lang: config.language,
          isBounceAddress,
          onBounceRcpt: (raw, rcpt) =>
            handleBounce(ctx.db, raw, rcpt, config.mailDomain, config.verpSecret, async (tx, row, info) => {
              await ctx.outbox.enqueue(tx, `bounce:${row.id}:${createHash("sha256").update(raw).digest("hex").slice(0, 16)}`, notice(row.roomId, bounceText(info, config.language)));
            }),
          backoffBaseMs: Math.min(config.backoffBaseMs, 5_000),
          maxUploadBytes: policy.max_message_mb * 1024 * 1024,
        }, directory);
      } catch (e) {
        ctx.log.warn({ err: e }, "mail delivery tick failed");
      } finally {
        ticking = false;
      }
    };
    return {
      async handle(event, hctx) {
        try {
          if (event.type === "m.room.member") {
            await hctx.enqueue({ kind: "join", roomId: event.room_id });
            return;
          }
          const book = await directory.get();
          const body = typeof event.content.body === "string" ? event.content.body : "";
          if (isMailCommand(body)) {
            await onMailCommand(event, hctx.tx, hctx.enqueue, book, ctx.matrix, outEnv);
            return;
          }
          if (await onConversationMessage(event, hctx.tx, hctx.enqueue, book, ctx.matrix, outEnv)) setTimeout(() => sender.kick(), 50);
        } catch (e) {
          throw asIntakeError(e);
        }
      },
      routes(app) {
        mailApi(app, ctx, { config, directory, outEnv, kick: () => sender.kick() });
      },
      async started() {
        await directory.refresh().catch((e: unknown) => ctx.log.warn({ err: e }, "directory not readable yet"));
        server = await startInboundServer({
          bind: config.smtp.bind,
          port: config.smtp.port,
          hostname: config.smtp.hostname,
          ...(config.smtp.tls === null ? {} : { tls: config.smtp.tls }),
          maxBytes: policy.max_message_mb * 1024 * 1024,
          maxRecipients: config.smtp.maxRecipients,
          maxClientsPerIp: config.smtp.maxClientsPerIp,
          log: ctx.log,
          ...(resolver === undefined ? {} : { resolver }),
          async checkRecipient(rcpt, c) {
            if (isBounceAddress(rcpt)) return { ok: true };
            let book = await directory.get();
            if (!book.isLocal(rcpt)) return { ok: false, ...relayDenied(rcpt).smtp };
            let resolved = book.resolve(rcpt);
            // A person added since the last read (a new pupil's first mail): read the directory again, at most every 5 s.
            if (resolved === null && directory.age() > 5_000) {
              book = await directory.refresh().catch(() => book);
              resolved = book.resolve(rcpt);
            }
            lastBook = book;
            const d = canReceive(resolved, { address: c.mailFrom, internalUserId: null }, policy);
            return d.ok ? { ok: true } : { ok: false, ...d.smtp };
          },
          decide(auth, c) {
            const d = dmarcDecision(auth.dmarc as DmarcResult, policy);
            if (!d.ok) return { ok: false, ...d.smtp };
            // Senders let in by the allowlist must also pass DMARC: check the recipients again with the result.
            if (lastBook !== null) {
              for (const rcpt of c.rcptTo) {
                if (isBounceAddress(rcpt)) continue;
                const again = canReceive(lastBook.resolve(rcpt), { address: c.mailFrom, internalUserId: null, dmarc: auth.dmarc as DmarcResult }, policy);
                if (!again.ok) return { ok: false, ...again.smtp };
              }
            }
            return { ok: true };
          },
          async store(msg) {
            const id = await storeInbound(ctx.db, msg);
            setImmediate(() => void tick());
            return { id };
          },
        });
        ctx.log.info({ port: server?.port }, "SMTP listening");
        timer = setInterval(() => void tick(), config.tickMs);
        timer.unref();
        void tick();
      },
      async stop() {
        if (timer !== null) clearInterval(timer);
        await server?.close();
        await sender.stop();
      },
    };
  },
};
