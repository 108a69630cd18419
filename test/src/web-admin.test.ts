// The Verwaltung and the start page in a real Chromium. On the shared stack: a person who is no school admin lands on
// "Heute" (each block loads on its own, no mail block without a mail bridge) and is refused the Verwaltung. On a school
// of its own (an import deactivates everyone not in the file, so the shared roster stays untouched): the admin previews
// a roster with errors and a good one, imports it with progress, downloads the letters PDF, is asked a second time
// before a roster deactivates more than 20 % of the school (cancelled: nobody leaves; confirmed: they do) and edits the
// exam rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { startOwnSchool, type OwnSchoolWithWeb } from "./harness/own-school.ts";
import { pgQuery } from "./harness/pg.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

/** An injection attempt in every untrusted text the pages show; a run of it sets `window.__pwned`. */
const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

const TERM1 = `Rolle;ID;Vorname;Nachname;Klasse;Kurse
Admin;A1;Ingrid;Hoffmann;;
Lehrer;L1;Jürgen;Weiß;7a;Mathematik 7a|Mathematik 7b
Schüler;S1;Lena;Köhler;7a;Mathematik 7a
Schüler;S2;Jonas;Groß;7a;Mathematik 7a
Schüler;S3;Mia;Böhm;7b;Mathematik 7b
`;
// Next term: Jonas moves to 7b, Mia leaves, a new student (with markup in her name) comes.
const TERM2 = `Rolle;ID;Vorname;Nachname;Klasse;Kurse
Admin;A1;Ingrid;Hoffmann;;
Lehrer;L1;Jürgen;Weiß;7a;Mathematik 7a|Mathematik 7b
Schüler;S1;Lena;Köhler;7a;Mathematik 7a
Schüler;S2;Jonas;Groß;7b;Mathematik 7b
Schüler;S6;Emma;Neu${EVIL};7a;Mathematik 7a
`;
const TERM2_BAD = TERM2.replace("Schüler;S2;Jonas;Groß;7b;", "Schüler;S2;Jonas;Groß;4b;");
// A file that misses two of the five active people (40 %, more than the 20 % an import may deactivate unasked).
const TERM2_HALF = TERM2.split("\n").filter((l) => !l.includes(";S2;") && !l.includes(";S6;")).join("\n");

/** axe looks at the page as it is: the mouse leaves the last clicked button first, so no hover style is judged. */
async function checkPage(page: Page, what: string, screenshot: string): Promise<void> {
  await page.mouse.move(0, 0);
  await assertAccessible(page, what);
  await saveScreenshots(page, screenshot);
}

/** Waits for `locator`; on a timeout the test's output gets what the page showed instead. */
async function waitOrTell(page: Page, locator: ReturnType<Page["locator"]>, timeout: number): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (e) {
    process.stderr.write(`[page instead] ${(await page.locator("main").innerText().catch(() => "?")).slice(0, 3000)}\n`);
    throw e;
  }
}

async function assertNoScriptRan(page: Page): Promise<void> {
  assert.equal(await page.evaluate("globalThis.__pwned ?? null"), null, "an injected script ran");
}

/** Signs in to an appservice API of the own school as `localpart`, the way the web client does. */
async function apiAs(own: OwnSchoolWithWeb, localpart: string, service: string): Promise<(path: string, init?: RequestInit) => Promise<Response>> {
  const hs = own.gen.school.homeserver.public_baseurl;
  const login = (await (
    await fetch(`${hs}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: own.passwords.get(localpart) }),
    })
  ).json()) as { access_token: string; user_id: string };
  const openid = await (
    await fetch(`${hs}/_matrix/client/v3/user/${encodeURIComponent(login.user_id)}/openid/request_token`, { method: "POST", headers: { authorization: `Bearer ${login.access_token}`, "content-type": "application/json" }, body: "{}" })
  ).json();
  const base = `${own.webUrl}/_schulhof/${service}/v1`;
  const ex = await fetch(`${base}/openid/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ openid_token: openid }) });
  const { token } = (await ex.json()) as { token: string };
  return (path, init = {}) => fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers ?? {}) } });
}

describe("web client: start page and Verwaltung", { concurrency: false }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let own: OwnSchoolWithWeb | null = null;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await own?.stop();
  });

  async function personPage(label: string, origin: string): Promise<Page> {
    const { context, page } = await newPersonPage(browser, label, origin);
    contexts.push(context);
    return page;
  }

  describe("on the shared school", () => {
    let person: TestUser;
    let page: Page;

    before(async () => {
      person = await newUser("wheute", { unthrottled: true });
      page = await personPage("person", testEnv().webUrl);
    });

    it("lands on Heute after login; each block loads on its own and mail stays away without a mail bridge", async () => {
      await loginThroughUi(page, testEnv().webUrl, person);
      await page.getByRole("heading", { name: "Heute", level: 1 }).waitFor();
      await page.getByText(/^Hallo, /).waitFor();
      const days = page.locator("[data-block=days]");
      await days.getByRole("heading", { name: /^Heute, / }).waitFor({ timeout: 30_000 });
      assert.equal(await days.getByText("Keine Stunden oder Termine.").count(), 2);
      await page.locator("[data-block=homework]").getByText("Nichts fällig in den nächsten 7 Tagen.").waitFor({ timeout: 30_000 });
      await page.locator("[data-block=exams]").getByText("Keine Klausuren in den nächsten Tagen.").waitFor({ timeout: 30_000 });
      await page.locator("[data-block=chats]").getByText("Keine ungelesenen Nachrichten.").waitFor({ timeout: 30_000 });
      // The shared stack runs no mail bridge: the mail block shows nothing rather than an error.
      await page.waitForTimeout(1500);
      assert.equal(await page.locator("[data-block=mail]").count(), 0);
      assert.equal(await page.getByRole("alert").count(), 0);
      await checkPage(page, "the start page", "today");
    });

    it("refuses the Verwaltung to a person who is no school admin", async () => {
      await page.goto(`${testEnv().webUrl}/#/admin`);
      await page.getByRole("heading", { name: "Nur für die Verwaltung" }).waitFor({ timeout: 30_000 });
      await page.getByText("Dieser Bereich ist nur für die Verwaltung der Schule.").waitFor();
      await page.goto(`${testEnv().webUrl}/#/admin/roster`);
      await page.getByRole("heading", { name: "Nur für die Verwaltung" }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByLabel("Datei").count(), 0);
      // The navigation does not offer it either.
      const nav = page.getByRole("navigation", { name: "Hauptnavigation" });
      await nav.getByRole("link", { name: "Aufgaben" }).waitFor();
      assert.equal(await nav.getByRole("link", { name: "Verwaltung" }).count(), 0);
      await checkPage(page, "the refusal of the Verwaltung", "admin-refused");
    });
  });

  describe("on a school of its own", () => {
    let page: Page;
    /** The page's native questions (confirm), in order; each is answered by `answerDialog` (unless changed: yes). */
    const dialogs: string[] = [];
    let answerDialog = (_message: string): boolean => true;

    before(async () => {
      own = await startOwnSchool("verwaltung", "Verwaltungsschule", TERM1, { web: true });
      page = await personPage("admin", own.webUrl);
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void (answerDialog(dialog.message()) ? dialog.accept() : dialog.dismiss());
      });
    });

    it("asks for an own password at the first login with the letter's password, then lets the person in", async () => {
      const s = own!;
      const letter = s.passwords.get("ingrid.hoffmann") ?? "";
      await loginThroughUi(page, s.webUrl, { localpart: "ingrid.hoffmann", password: letter });
      await page.getByRole("heading", { name: "Eigenes Passwort festlegen" }).waitFor({ timeout: 30_000 });
      await checkPage(page, "the first-login password change", "first-login-password");
      // The navigation is there, but no page is reachable before the password is changed.
      await page.goto(`${s.webUrl}/#/admin`);
      await page.getByRole("heading", { name: "Eigenes Passwort festlegen" }).waitFor();
      await page.getByLabel("Passwort aus dem Brief").fill("falsch-falsch-falsch");
      await page.getByLabel("Neues Passwort", { exact: true }).fill("Mein eigenes Passwort 1");
      await page.getByLabel("Neues Passwort wiederholen").fill("Mein eigenes Passwort 1");
      await page.getByRole("button", { name: "Passwort speichern" }).click();
      await page.getByRole("alert").filter({ hasText: "Das Passwort aus dem Brief stimmt nicht." }).waitFor();
      await page.getByLabel("Passwort aus dem Brief").fill(letter);
      await page.getByRole("button", { name: "Passwort speichern" }).click();
      await page.getByRole("heading", { name: "Eigenes Passwort festlegen" }).waitFor({ state: "detached", timeout: 30_000 });
      s.passwords.set("ingrid.hoffmann", "Mein eigenes Passwort 1");
      // The homeserver now knows only the new password: the next test signs in with it (logins per account are limited,
      // so this test does not spend more of them).
      await page.getByRole("button", { name: "Abmelden" }).click();
      await page.getByLabel("Benutzername").waitFor();
    });

    it("shows the admin today's event from the school calendar on Heute, as text", async () => {
      const s = own!;
      const calendar = await apiAs(s, "ingrid.hoffmann", "calendar");
      // The calendar appservice learns of the school calendar from its room's state, shortly after the import.
      const schoolCal = await eventually("the school calendar", async () => {
        const { calendars } = (await (await calendar("/calendars")).json()) as { calendars: { room_id: string; scope: string; can_write: boolean }[] };
        return calendars.find((c) => c.scope === "school" && c.can_write);
      }, 30_000, 500);
      const day = new Date().toISOString().slice(0, 10);
      const made = await calendar(`/calendars/${encodeURIComponent(schoolCal.room_id)}/events`, {
        method: "POST",
        body: JSON.stringify({ summary: `Schulfest ${EVIL}`, start: day, end: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10), all_day: true, tzid: "Europe/Berlin", category: "other", location: `Hof ${EVIL}` }),
      });
      assert.equal(made.status, 200, await made.clone().text());
      await loginThroughUi(page, s.webUrl, { localpart: "ingrid.hoffmann", password: s.passwords.get("ingrid.hoffmann") ?? "" });
      const days = page.locator("[data-block=days]");
      await days.getByText(`Schulfest ${EVIL}`).first().waitFor({ timeout: 30_000 });
      // A school admin finds the Verwaltung in the navigation.
      await page.getByRole("navigation", { name: "Hauptnavigation" }).getByRole("link", { name: "Verwaltung" }).waitFor({ timeout: 15_000 });
      assert.equal(await days.locator("img").count(), 0);
      await assertNoScriptRan(page);
      await checkPage(page, "the start page of the admin", "today-admin");
    });

    it("refuses a roster with a bad row, naming line and column, and changes nothing", async () => {
      await page.getByRole("link", { name: "Verwaltung", exact: true }).click();
      await page.getByRole("heading", { name: "Verwaltung", level: 1 }).waitFor({ timeout: 30_000 });
      await checkPage(page, "the Verwaltung's start", "admin");
      await page.getByRole("link", { name: "Schülerliste importieren" }).click();
      await page.getByRole("heading", { name: "Schülerliste importieren", level: 1 }).waitFor();
      await page.getByLabel("Datei").setInputFiles({ name: "liste-fehler.csv", mimeType: "text/csv", buffer: Buffer.from(TERM2_BAD, "utf8") });
      await page.getByRole("button", { name: "Vorschau anzeigen" }).click();
      await waitOrTell(page, page.getByText("Die Datei enthält Fehler; es wurde nichts geändert."), 30_000);
      const row = page.getByRole("table", { name: "Fehler in der Datei" }).getByRole("row").nth(1);
      assert.deepEqual((await row.getByRole("cell").allTextContents()).slice(0, 2), ["5", "Klasse"]);
      await checkPage(page, "the roster's row errors", "admin-roster-errors");
      const people = await pgQuery<{ n: string }>(own!.dbUrl, "school", "SELECT count(*) AS n FROM people WHERE active");
      assert.equal(Number(people[0]?.n), 5);
    });

    it("previews the next term: the new student, the leaver and the class change", async () => {
      await page.getByLabel("Datei").setInputFiles({ name: "liste.csv", mimeType: "text/csv", buffer: Buffer.from(TERM2, "utf8") });
      await page.getByRole("button", { name: "Vorschau anzeigen" }).click();
      const preview = page.getByRole("region", { name: "Vorschau: das würde sich ändern" });
      await preview.waitFor({ timeout: 30_000 });
      await preview.getByText("Neu (1)").waitFor();
      await preview.getByText(`Emma Neu${EVIL}`).waitFor();
      await preview.getByText("Verlassen die Schule (1)").waitFor();
      await preview.getByText("Mia Böhm").waitFor();
      await preview.getByText("Wechseln die Klasse (1)").waitFor();
      await preview.getByText("7a → 7b").waitFor();
      assert.equal(await preview.locator("img").count(), 0);
      await assertNoScriptRan(page);
      await checkPage(page, "the roster preview", "admin-roster-preview");
      // Still a preview: nobody left yet.
      const mia = await pgQuery<{ active: boolean }>(own!.dbUrl, "school", "SELECT active FROM people WHERE first_name = 'Mia'");
      assert.equal(mia[0]?.active, true);
    });

    it("imports with a progress bar and hands out the letters as a PDF", async () => {
      // The progress bar shows while the import runs (watched in the page: a real import takes only seconds here).
      await page.evaluate(`(() => {
        globalThis.__progressSeen = [];
        new MutationObserver(() => {
          const text = document.querySelector("#import-progress-text")?.textContent ?? "";
          if (document.querySelector("main progress") !== null && !globalThis.__progressSeen.includes(text)) globalThis.__progressSeen.push(text);
        }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      })()`);
      await page.getByRole("button", { name: "Import starten" }).click();
      await waitOrTell(page, page.getByRole("heading", { name: "Import abgeschlossen" }), 120_000);
      await page.getByText("Zugangsbriefe bereit: 1.", { exact: false }).waitFor();
      const seen = (await page.evaluate("globalThis.__progressSeen")) as string[];
      assert.ok(seen.some((s) => /^(Konten|Räume|Mitgliedschaften|Rechte|Abgänge): \d+ von \d+$/.test(s)), JSON.stringify(seen));
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Zugangsbriefe herunterladen (PDF)" }).click()]);
      assert.equal(download.suggestedFilename(), "zugangsbriefe.pdf");
      const pdf = readFileSync(await download.path());
      assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
      await page.getByText("Die Zugangsbriefe wurden heruntergeladen.").waitFor();
      await checkPage(page, "the finished import", "admin-roster-done");
      const rows = await pgQuery<{ first_name: string; active: boolean; class_name: string | null }>(own!.dbUrl, "school", "SELECT first_name, active, class_name FROM people");
      assert.deepEqual(
        rows.map((r) => [r.first_name, r.active, r.class_name]).sort((a, b) => String(a[0]).localeCompare(String(b[0]), "de")),
        [["Emma", true, "7a"], ["Ingrid", true, null], ["Jonas", true, "7b"], ["Jürgen", true, "7a"], ["Lena", true, "7a"], ["Mia", false, "7b"]],
      );
    });

    it("asks a second time before deactivating more than 20 % of the school: cancelled, nobody leaves; confirmed, they do", async () => {
      const s = own!;
      const people = async (): Promise<Map<string, { active: boolean; userId: string }>> =>
        new Map((await pgQuery<{ first_name: string; active: boolean; user_id: string }>(s.dbUrl, "school", "SELECT first_name, active, user_id FROM people")).map((r) => [r.first_name, { active: r.active, userId: r.user_id }]));
      /** Whether the homeserver has deactivated the account (Synapse's admin API), not only the school's database. */
      const deactivatedInSynapse = async (userId: string): Promise<boolean> => {
        const r = await s.call(s.adminToken, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.deactivated === true;
      };
      const before = await people();
      const leaving = ["Jonas", "Emma"].map((name) => before.get(name)?.userId ?? assert.fail(`no ${name}`));
      assert.deepEqual([...before].filter(([, p]) => p.active).map(([name]) => name).sort(), ["Emma", "Ingrid", "Jonas", "Jürgen", "Lena"]);

      await page.getByRole("button", { name: "Weitere Datei einlesen" }).click();
      await page.getByLabel("Datei").setInputFiles({ name: "liste-unvollstaendig.csv", mimeType: "text/csv", buffer: Buffer.from(TERM2_HALF, "utf8") });
      await page.getByRole("button", { name: "Vorschau anzeigen" }).click();
      const preview = page.getByRole("region", { name: "Vorschau: das würde sich ändern" });
      await waitOrTell(page, preview, 30_000);
      await preview.getByText("Verlassen die Schule (2)").waitFor();
      // The count and the reason, before anything is asked.
      const warning = "Achtung: Der Import würde 2 von 5 aktiven Personen deaktivieren (40 %, mehr als 20 %). Fehlen in der Datei Klassen oder Lehrkräfte?";
      await preview.getByText(warning).waitFor();
      await assertNoScriptRan(page);
      await checkPage(page, "the roster preview warning of a mass deactivation", "admin-roster-mass-warning");

      const questions = [
        "Beim Import werden deaktiviert: 2. Import wirklich starten?",
        "Zweite Rückfrage: 2 von 5 aktiven Personen der Schule (40 %, mehr als 20 %) verlieren ihren Zugang. Ist die Datei wirklich vollständig? Nur dann bestätigen.",
      ];
      // Yes to the first question, no to the second: nothing is imported.
      dialogs.length = 0;
      answerDialog = (message) => !message.startsWith("Zweite Rückfrage");
      await page.getByRole("button", { name: "Import starten" }).click();
      await eventually("both questions", async () => (dialogs.length === 2 ? true : undefined), 15_000, 100);
      assert.deepEqual(dialogs, questions);
      await page.waitForTimeout(1500);
      assert.equal(await page.getByRole("heading", { name: "Der Import läuft …" }).count(), 0);
      assert.equal(await page.getByRole("heading", { name: "Import abgeschlossen" }).count(), 0);
      await preview.getByText(warning).waitFor();
      await page.getByRole("button", { name: "Import starten" }).waitFor();
      const afterCancel = await people();
      for (const name of ["Jonas", "Emma"]) assert.equal(afterCancel.get(name)?.active, true, `${name} stays active after the cancelled question`);
      for (const userId of leaving) assert.equal(await deactivatedInSynapse(userId), false, `${userId} keeps the account`);
      // The page asks again as it did, and stays accessible.
      await checkPage(page, "the roster preview after the second question was cancelled", "admin-roster-mass-cancelled");

      // Yes to both: the import runs (with force) and the two leave.
      dialogs.length = 0;
      answerDialog = () => true;
      await page.getByRole("button", { name: "Import starten" }).click();
      await waitOrTell(page, page.getByRole("heading", { name: "Import abgeschlossen" }), 120_000);
      assert.deepEqual(dialogs, questions);
      await page.getByText(/^0 neu, 2 deaktiviert, 0 geändert\./).waitFor();
      await checkPage(page, "the finished mass deactivation", "admin-roster-mass-done");
      const afterImport = await people();
      assert.deepEqual(
        [...afterImport].map(([name, p]) => [name, p.active]).sort((a, b) => String(a[0]).localeCompare(String(b[0]), "de")),
        [["Emma", false], ["Ingrid", true], ["Jonas", false], ["Jürgen", true], ["Lena", true], ["Mia", false]],
      );
      for (const userId of leaving) assert.equal(await deactivatedInSynapse(userId), true, `${userId} is deactivated`);
    });

    it("edits the exam rules: approval, a weekly limit and a blocked period", async () => {
      await page.goto(`${own!.webUrl}/#/admin/settings`);
      await page.getByRole("heading", { name: "Schuleinstellungen", level: 1 }).waitFor({ timeout: 30_000 });
      await page.getByText("Es gelten die Voreinstellungen für das Bundesland NI.", { exact: false }).waitFor({ timeout: 30_000 });
      await page.getByLabel("Die Schulleitung bestätigt jede Klausur, bevor sie gilt").check();
      await page.getByLabel("Höchstens so viele Klausuren in einer Woche").fill("2");
      await page.getByLabel("Von", { exact: true }).fill("2027-04-19");
      await page.getByLabel("Bis", { exact: true }).fill("2027-04-30");
      await page.getByLabel("Grund (für die Lehrkräfte)").fill(`Abitur ${EVIL}`);
      await page.getByRole("button", { name: "Hinzufügen" }).click();
      await page.getByText(`Abitur ${EVIL}`, { exact: false }).waitFor();
      await page.getByRole("button", { name: "Speichern" }).click();
      await page.getByText("Die Klausurregeln sind gespeichert.").waitFor({ timeout: 30_000 });
      await page.getByText("Es gelten die eigenen Regeln der Schule.").waitFor({ timeout: 30_000 });
      await page.getByRole("heading", { name: "Mail-Regeln" }).waitFor();
      await assertNoScriptRan(page);
      await checkPage(page, "the school settings", "admin-settings");
      const calendar = await apiAs(own!, "ingrid.hoffmann", "calendar");
      const { rules, source } = (await (await calendar("/exams/rules")).json()) as { source: string; rules: { approval_required: boolean; rules: { id: string; kind: string; limit?: number; dates?: { from: string; to: string; reason?: string }[] }[] } };
      assert.equal(source, "school");
      assert.equal(rules.approval_required, true);
      assert.equal(rules.rules.find((r) => r.kind === "max_per_week")?.limit, 2);
      assert.deepEqual(rules.rules.find((r) => r.kind === "blocked_dates")?.dates, [{ from: "2027-04-19", to: "2027-04-30", reason: `Abitur ${EVIL}` }]);
    });

    it("shows the Verwaltung in English and the dark theme, still accessible", async () => {
      await page.getByRole("button", { name: "English", exact: true }).click();
      await page.getByRole("button", { name: "Dark theme", exact: true }).click();
      await page.getByRole("heading", { name: "School settings", level: 1 }).waitFor();
      await page.getByText("The school's own rules apply.").waitFor({ timeout: 30_000 });
      await checkPage(page, "the school settings in English, dark", "admin-settings-en-dark");
      await page.goto(`${own!.webUrl}/#/`);
      await page.getByRole("heading", { name: "Today and tomorrow" }).waitFor({ timeout: 30_000 });
      await checkPage(page, "the start page in English, dark", "today-en-dark");
    });
  });
});
