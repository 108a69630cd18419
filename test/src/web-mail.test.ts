// The Mail section in a real Chromium against a school of its own with the mail bridge (test/src/harness/mailstack.ts):
// a DKIM-signed mail from outside lands in the teacher's inbox and on Heute, is read with its HTML made safe (scripts
// and event handlers never run, quotes folded), its attachment downloads under its own name, the reply with a file
// reaches the capturing relay as one mail, and a new mail with an attachment goes out as one mail too.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { simpleParser } from "mailparser";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { webApisOf } from "@schulhof/cli";
import { startWebServer } from "@schulhof/web";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots } from "./harness/browser.ts";
import { DKIM_SELECTOR, OUTSIDE, startMailStack, type MailStack } from "./harness/mailstack.ts";
import { freePort } from "./harness/ports.ts";
import { snapshotOfDist } from "./harness/web-dist.ts";
import { eventually } from "./harness/users.ts";

const ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse
Admin;Birgit;Schäfer;;
Lehrer;Jürgen;Müller;7a;Mathematik 7a
Schüler;Lena;Köhler;7a;Mathematik 7a
`;

/** An injection attempt; a run of it sets `window.__pwned`. */
const EVIL = `<img src=x onerror="window.__pwned=1">`;
const SUBJECT = `Elternsprechtag ${EVIL}`;
const ATTACHMENT = `Plan ${EVIL}.txt`;
const REPLY_FILE = `Anfahrt ${EVIL}.txt`;

/** axe looks at the page as it is: the mouse leaves the last clicked button first, so no hover style is judged. */
async function checkPage(page: Page, what: string, screenshot: string | null): Promise<void> {
  await page.mouse.move(0, 0);
  await assertAccessible(page, what);
  if (screenshot !== null) await saveScreenshots(page, screenshot);
}

/** Waits for `locator`; on a timeout the test's output gets what the page showed instead. */
async function waitOrTell(page: Page, locator: ReturnType<Page["locator"]>, timeout: number): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (e) {
    process.stderr.write(`[page instead at ${page.url()}] ${(await page.locator("main").innerText().catch(() => "?")).slice(0, 3000)}\n`);
    throw e;
  }
}

/** How many mails at the relay carry `text` (in the text or in an attachment). */
async function mailsWithIn(stack: MailStack, text: string): Promise<number> {
  let count = 0;
  for (const r of stack.relayed()) {
    const p = await simpleParser(r.raw);
    if ((p.text ?? "").includes(text) || p.attachments.some((a) => a.content.toString("utf8").includes(text))) count++;
  }
  return count;
}

async function assertNoScriptRan(page: Page): Promise<void> {
  assert.equal(await page.evaluate("globalThis.__pwned ?? null"), null, "an injected script ran");
}

describe("web client: mail", { concurrency: false }, () => {
  let stack: MailStack;
  let web: Server;
  let webUrl = "";
  let distDir = "";
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const teacher = { localpart: "juergen.mueller", password: "" };
  let firstMessageId = "";
  const mailsWith = (text: string): Promise<number> => mailsWithIn(stack, text);
  let conversationUrl = "";

  before(async () => {
    // The stack's `.well-known` names this test's web server as the APIs' address.
    const port = await freePort();
    webUrl = `http://127.0.0.1:${port}`;
    stack = await startMailStack("wm", ROSTER, {}, { webPort: port });
    teacher.password = await stack.password(teacher.localpart);
    distDir = await snapshotOfDist();
    web = await startWebServer({ bind: "127.0.0.1", port, wellKnownDir: stack.gen.wellKnownDir, distDir, apis: webApisOf(stack.gen) });
    browser = await launchBrowser();
    ({ context, page } = await newPersonPage(browser, "teacher", webUrl));
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    web?.closeAllConnections();
    await new Promise<void>((r) => (web === undefined ? r() : web.close(() => r())));
    await stack?.stop();
    if (distDir !== "") rmSync(distDir, { recursive: true, force: true });
  });

  it("shows a mail from outside on Heute and in the inbox, unread, with the user's own address", async () => {
    const info = await nodemailer
      .createTransport({ host: "127.0.0.1", port: stack.smtpPort, secure: false, ignoreTLS: true, dkim: { domainName: OUTSIDE, keySelector: DKIM_SELECTOR, privateKey: stack.outsideKey } })
      .sendMail({
        from: "Erna Schmidt <erna@outside.test>",
        to: `juergen.mueller@${stack.domain}`,
        subject: SUBJECT,
        text: "Guten Tag Herr Müller, passt Ihnen 15 Uhr?\n\nAm 1. März schrieb Jürgen Müller:\n> Wann passt es Ihnen?",
        html: `<p>Guten Tag Herr Müller, passt Ihnen <b>15 Uhr</b>?</p><blockquote><p>Wann passt es Ihnen?</p></blockquote><script>window.__pwned=2</script>${EVIL}<a href="javascript:window.__pwned=3">klick</a>`,
        attachments: [{ filename: ATTACHMENT, content: "Hallo Anhang" }],
      });
    firstMessageId = info.messageId.toLowerCase();

    await loginThroughUi(page, webUrl, teacher);
    await page.getByRole("heading", { name: "Heute", level: 1 }).waitFor();
    const mailBlock = page.locator("[data-block=mail]");
    await mailBlock.getByRole("link", { name: SUBJECT }).waitFor({ timeout: 60_000 });
    // This school runs no calendar or homework service: those blocks fail on their own, mail still shows.
    await page.locator("[data-block=days]").getByText("Stundenplan und Termine konnten nicht geladen werden.").waitFor({ timeout: 30_000 });
    await page.locator("[data-block=homework]").getByText("Die Hausaufgaben konnten nicht geladen werden.").waitFor({ timeout: 30_000 });
    await checkPage(page, "the start page with new mail", "today-mail");

    await page.getByRole("link", { name: "Mail", exact: true }).click();
    await page.getByRole("heading", { name: "Mail", level: 1 }).waitFor();
    await page.getByText(`Deine Adresse: juergen.mueller@${stack.domain}`).waitFor({ timeout: 30_000 });
    const entry = page.getByRole("listitem").filter({ hasText: SUBJECT });
    await entry.waitFor({ timeout: 30_000 });
    await entry.getByText("Ungelesen").waitFor();
    await entry.getByText("Mit erna@outside.test").waitFor();
    await assertNoScriptRan(page);
    await checkPage(page, "the inbox", "mail-inbox");
  });

  it("opens the mail with its HTML made safe, quotes folded and the attachment downloadable", async () => {
    await page.getByRole("link", { name: new RegExp(`^${SUBJECT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) }).click();
    await waitOrTell(page, page.getByRole("heading", { name: SUBJECT, level: 1 }), 30_000);
    conversationUrl = page.url();
    const mail = page.locator("article.mail").filter({ hasText: "15 Uhr" });
    await mail.waitFor({ timeout: 30_000 });
    // The whole short thread is loaded at once.
    assert.equal(await page.getByRole("button", { name: "Ältere Nachrichten laden" }).count(), 0);
    await mail.getByRole("heading", { name: /Erna Schmidt <erna@outside\.test>/ }).waitFor();
    assert.equal(await mail.locator("b").textContent(), "15 Uhr");
    // The quote is folded away until asked for.
    const quote = mail.getByText("Wann passt es Ihnen?");
    assert.equal(await quote.isVisible(), false);
    await mail.getByText("Zitierten Text anzeigen").click();
    await quote.waitFor();
    assert.equal(await mail.locator(".mail-body img, .mail-body script").count(), 0);
    assert.equal(await mail.locator('.mail-body a[href^="javascript:"]').count(), 0);

    // An event that slipped past the bridge's own cleaning (sent here as the sender's puppet) is cleaned by DOMPurify.
    const roomId = decodeURIComponent(conversationUrl.split("/").at(-1) ?? "");
    const asToken = stack.gen.secrets.appservices.mail?.as_token ?? "";
    const puppet = `@_mail_erna=40outside.test:${stack.serverName}`;
    const raw = await fetch(`${stack.synapse.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/web-${Date.now()}?user_id=${encodeURIComponent(puppet)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${asToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        msgtype: "m.text",
        body: "Roh eingeschleust",
        format: "org.matrix.custom.html",
        formatted_body: `<p>Roh eingeschleust</p><img src=x onerror="window.__pwned=4"><script>window.__pwned=5</script><iframe src="javascript:window.__pwned=6"></iframe><a href="javascript:window.__pwned=7" onclick="window.__pwned=8">Link</a><svg onload="window.__pwned=9"></svg>`,
      }),
    });
    assert.ok(raw.ok, `raw event: ${raw.status} ${await raw.text()}`);
    const slipped = page.locator("article.mail").filter({ hasText: "Roh eingeschleust" });
    await slipped.waitFor({ timeout: 30_000 });
    await slipped.getByText("Link").click();
    assert.equal(await slipped.locator("img, script, iframe, svg, [onclick]").count(), 0);

    // The file keeps its name (nothing in it is unsafe once shown as text).
    const button = mail.getByRole("button", { name: `Herunterladen: ${ATTACHMENT}`, exact: true });
    const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
    assert.equal(readFileSync(await download.path(), "utf8"), "Hallo Anhang");
    await assertNoScriptRan(page);
    await checkPage(page, "the conversation", "mail-conversation");
  });

  it("sends the reply with a file to the outside as one mail, threaded, through the relay", async () => {
    await page.getByLabel("Deine Antwort").fill("Ja, 15 Uhr passt gut.");
    await page.getByLabel("Dateien anhängen").setInputFiles({ name: REPLY_FILE, mimeType: "text/plain", buffer: Buffer.from("Wegbeschreibung", "utf8") });
    await page.getByRole("button", { name: "Senden", exact: true }).click();
    await page.getByText("Antwort gesendet.").waitFor({ timeout: 30_000 });
    const own = page.locator("article.mail.own").filter({ hasText: "Ja, 15 Uhr passt gut." });
    await own.waitFor({ timeout: 30_000 });
    await own.getByRole("button", { name: `Herunterladen: ${REPLY_FILE}`, exact: true }).waitFor({ timeout: 30_000 });
    const sent = await eventually("reply at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("15 Uhr passt gut")), 60_000, 300);
    const parsed = await simpleParser(sent.raw);
    assert.equal(parsed.inReplyTo?.toLowerCase(), firstMessageId);
    assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : "", "erna@outside.test");
    assert.equal(parsed.from?.value[0]?.address, `juergen.mueller@${stack.domain}`);
    assert.deepEqual(parsed.attachments.map((a) => [a.filename, a.content.toString("utf8")]), [[REPLY_FILE, "Wegbeschreibung"]]);
    // One mail: no second one for the file.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await mailsWith("Wegbeschreibung"), 1);
    await assertNoScriptRan(page);

    // Read now: the inbox no longer marks it.
    await page.getByRole("link", { name: "Zurück zum Posteingang" }).click();
    const entry = page.getByRole("listitem").filter({ hasText: SUBJECT });
    await entry.waitFor({ timeout: 30_000 });
    await eventually("marked read", async () => ((await entry.getByText("Ungelesen").count()) === 0 ? true : undefined), 30_000, 300);
  });

  it("writes a new mail with an attachment to an outside address", async () => {
    await page.getByRole("link", { name: "Neue Mail schreiben" }).click();
    await page.getByRole("heading", { name: "Neue Mail", level: 1 }).waitFor();
    await page.getByText(`Absender: juergen.mueller@${stack.domain}`).waitFor({ timeout: 30_000 });
    await page.getByLabel("An", { exact: true }).fill("erna(at)outside.test");
    await page.getByLabel("Betreff").fill("Wandertag nach Goslar");
    await page.getByLabel("Text", { exact: true }).fill("Liebe Frau Schmidt, anbei das Formular.");
    await page.getByLabel("Dateien anhängen").setInputFiles({ name: "formular.txt", mimeType: "text/plain", buffer: Buffer.from("Formular-Inhalt", "utf8") });
    await page.getByRole("list", { name: "Angehängte Dateien" }).getByText("formular.txt").waitFor();
    await page.getByRole("button", { name: "Senden", exact: true }).click();
    await page.getByText("Bitte eine gültige Mailadresse angeben", { exact: false }).waitFor();
    await checkPage(page, "the compose page", "mail-compose");

    await page.getByLabel("An", { exact: true }).fill("erna@outside.test");
    await page.getByRole("button", { name: "Senden", exact: true }).click();
    await page.getByRole("heading", { name: "Wandertag nach Goslar", level: 1 }).waitFor({ timeout: 60_000 });
    // The relay receives ONE mail: the text with the attachment.
    const sent = await eventually("new mail at the relay", async () => stack.relayed().find((r) => r.raw.toString("utf8").includes("anbei das Formular")), 60_000, 300);
    const parsed = await simpleParser(sent.raw);
    assert.equal(parsed.subject, "Wandertag nach Goslar");
    assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : "", "erna@outside.test");
    assert.equal(parsed.text?.trim(), "Liebe Frau Schmidt, anbei das Formular.");
    assert.deepEqual(parsed.attachments.map((a) => [a.filename, a.content.toString("utf8")]), [["formular.txt", "Formular-Inhalt"]]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await mailsWith("Formular-Inhalt"), 1, "one mail carries the attachment, no other mail follows");
    await page.locator("article.mail.own").filter({ hasText: "formular.txt" }).waitFor({ timeout: 30_000 });
    await checkPage(page, "the new conversation", "mail-sent");
  });

  it("shows the school admin the mail rules in the Verwaltung, and the teacher is refused them by the API", async () => {
    const admin = await newPersonPage(browser!, "admin", webUrl);
    try {
      await loginThroughUi(admin.page, webUrl, { localpart: "birgit.schaefer", password: await stack.password("birgit.schaefer") });
      await admin.page.goto(`${webUrl}/#/admin/settings`);
      await admin.page.getByRole("heading", { name: "Mail-Regeln" }).waitFor({ timeout: 30_000 });
      await admin.page.getByText(`@${stack.domain}`).waitFor({ timeout: 30_000 });
      await admin.page.getByText("Schüler:innen schreiben nach außen").waitFor();
      await checkPage(admin.page, "the mail rules of the school", "admin-mail-policy");
    } finally {
      await admin.context.close();
    }
    // The teacher's session asks the API directly: refused.
    const status = await page.evaluate(async (base) => {
      const stored = JSON.parse(localStorage.getItem("schulhof.session") ?? "null") as { accessToken?: string; userId?: string } | null;
      if (stored?.accessToken === undefined || stored.userId === undefined) return -1;
      const hs = JSON.parse(await (await fetch("/.well-known/matrix/client")).text())["m.homeserver"].base_url as string;
      const openid = await (await fetch(`${hs}/_matrix/client/v3/user/${encodeURIComponent(stored.userId)}/openid/request_token`, { method: "POST", headers: { authorization: `Bearer ${stored.accessToken}`, "content-type": "application/json" }, body: "{}" })).json();
      const ex = (await (await fetch(`${base}/_schulhof/mail/v1/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: openid }) })).json()) as { token: string };
      return (await fetch(`${base}/_schulhof/mail/v1/policy`, { headers: { authorization: `Bearer ${ex.token}` } })).status;
    }, webUrl);
    assert.equal(status, 403);
  });

  it("keeps the inbox readable in English and the dark theme", async () => {
    await page.getByRole("button", { name: "English", exact: true }).click();
    await page.getByRole("button", { name: "Dark theme", exact: true }).click();
    await page.goto(`${webUrl}/#/mail`);
    await page.getByText(`Your address: juergen.mueller@${stack.domain}`).waitFor({ timeout: 30_000 });
    await page.getByRole("listitem").filter({ hasText: "Wandertag nach Goslar" }).waitFor({ timeout: 30_000 });
    await checkPage(page, "the inbox in English, dark", "mail-inbox-en-dark");
    await page.goto(conversationUrl);
    await page.getByRole("heading", { name: SUBJECT, level: 1 }).waitFor({ timeout: 30_000 });
    await assertNoScriptRan(page);
    await checkPage(page, "the conversation in English, dark", "mail-conversation-en-dark");
  });
});
