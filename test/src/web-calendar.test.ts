// The Kalender and Klausuren sections in a real Chromium against the real stack: a teacher adds a weekly event to a
// course calendar, a student of the course sees it (week, agenda, month), cannot write there, and reads it through the
// personal feed; a teacher plans an exam and sees the conflict of a second one before submitting; script injection
// through an event's title, place and description does not run; a move is checked before it is made; a deleted event is
// gone at once.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DateTime } from "luxon";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { apiSession } from "./harness/openid.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

const CAL = "de.schulhof.calendar";
/** What a script injected through untrusted content would do: push its source here. Must stay empty. */
const XSS_PROBE = "window.__xss";
const injected = (source: string): string => `<img src=x onerror="${XSS_PROBE}.push('${source}')">`;

describe("web client: calendar and exam plan in the browser", { concurrency: false }, () => {
  let browser: Browser;
  let admin: TestUser;
  let teacher: TestUser;
  let student: TestUser;
  let classSpace: string;
  let examRoom: string;
  let maths: string;
  let german: string;
  const contexts: BrowserContext[] = [];
  let teacherPage: Page;
  let studentPage: Page;

  // A cohort name of this run only: the calendar appservice finds a course's cohort by name, and other tests plan exams too.
  const cohort = `8${randomBytes(2).toString("hex")}`;
  const mathsName = `Mathematik ${cohort}`;
  const germanName = `Deutsch ${cohort}`;
  const title = `Mathe-AG ${injected("title")}`;
  const place = `Raum 101 <script>${XSS_PROBE}.push('location')</script>`;
  const description = `Bitte Zirkel mitbringen ${injected("description")}`;
  /** A Tuesday three weeks ahead: a school day with enough notice, in the school's zone. */
  const examDay = DateTime.now().setZone("Europe/Berlin").startOf("week").plus({ weeks: 3, days: 1 }).toISODate()!;

  const web = (): string => testEnv().webUrl;
  const kalender = (): string => `@kalender:${testEnv().serverName}`;
  const klausuren = (): string => `@klausuren:${testEnv().serverName}`;
  const noScriptRan = async (page: Page): Promise<void> => assert.deepEqual(await page.evaluate(XSS_PROBE), []);

  before(async () => {
    const u = { unthrottled: true };
    [admin, teacher, student] = await Promise.all([newUser("kadmin", u), newUser("klehrerin", u), newUser("kschueler", u)]);
    // The rooms as the school provisions them (see calendar.test.ts): a class space with its calendar, the cohort's
    // exam-planning room, and two course rooms with their calendars; the teacher at 50, the bots invited.
    const pl = (extra: Record<string, number>): Record<string, unknown> => ({
      users: { [teacher.userId]: 50, ...extra },
      state_default: 50,
      events_default: 0,
      events: { "de.schulhof.calendar": 100, "de.schulhof.exam": 100, "de.schulhof.exam.cohort": 100 },
    });
    classSpace = (
      await admin.client.createRoom({
        name: `Klasse ${cohort}`,
        creation_content: { type: "m.space" },
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: "class" } },
          { type: CAL, state_key: "", content: { name: `Klasse ${cohort}`, colour: "#1f6feb", scope: "class" } },
        ],
        power_level_content_override: pl({ [kalender()]: 50, [klausuren()]: 50 }),
      })
    ).room_id;
    examRoom = (
      await admin.client.createRoom({
        name: `Klausurplan ${cohort}`,
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: "exams" } },
          { type: "de.schulhof.exam.cohort", state_key: "", content: { kind: "class", name: cohort, stage: "sek1", grade: 8 } },
          { type: "m.space.parent", state_key: classSpace, content: { via: [testEnv().serverName], canonical: true } },
        ],
        power_level_content_override: pl({ [klausuren()]: 100 }),
      })
    ).room_id;
    const course = async (name: string): Promise<string> =>
      (
        await admin.client.createRoom({
          name,
          initial_state: [
            { type: "de.schulhof.room", state_key: "", content: { kind: "course" } },
            { type: "de.schulhof.course", state_key: "", content: { name, cohort: { kind: "class", name: cohort }, teachers: [teacher.userId] } },
            { type: CAL, state_key: "", content: { name, colour: "#2da44e", scope: "course" } },
          ],
          power_level_content_override: pl({ [kalender()]: 50, [klausuren()]: 50 }),
        })
      ).room_id;
    maths = await course(mathsName);
    german = await course(germanName);
    for (const room of [classSpace, examRoom, maths, german]) {
      for (const person of [teacher, student]) {
        await admin.client.invite(room, person.userId);
        await person.client.joinRoom(room);
      }
      if (room !== examRoom) await admin.client.invite(room, kalender());
      await admin.client.invite(room, klausuren());
    }
    // Ready when the calendar appservice knows the rooms and who is in them.
    const calendarApi = `${testEnv().calendarUrl}/_schulhof/calendar/v1`;
    const [teacherApi, studentApi] = await Promise.all([apiSession(teacher, calendarApi), apiSession(student, calendarApi)]);
    await eventually("calendars and cohort known to the appservice", async () => {
      const t = (await (await teacherApi("/calendars")).json()) as { calendars: { room_id: string; can_write: boolean }[] };
      const s = (await (await studentApi("/calendars")).json()) as { calendars: { room_id: string }[] };
      const c = (await (await teacherApi("/exams/cohorts")).json()) as { cohorts: { room_id: string; can_plan: boolean }[] };
      const ready =
        t.calendars.some((x) => x.room_id === maths && x.can_write) &&
        t.calendars.some((x) => x.room_id === german && x.can_write) &&
        s.calendars.some((x) => x.room_id === maths) &&
        c.cohorts.some((x) => x.room_id === examRoom && x.can_plan);
      return ready ? true : undefined;
    }, 30_000, 300);

    browser = await launchBrowser();
    for (const [person, label] of [[teacher, "teacher"], [student, "student"]] as const) {
      const { context, page } = await newPersonPage(browser, label, new URL(web()).origin);
      await context.addInitScript(`${XSS_PROBE} = [];`);
      contexts.push(context);
      if (person === teacher) teacherPage = page;
      else studentPage = page;
    }
    await loginThroughUi(teacherPage, web(), teacher);
    await loginThroughUi(studentPage, web(), student);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
  });

  it("lets a teacher add a weekly event to the course calendar, with script in its title, place and description", async () => {
    const page = teacherPage;
    await page.getByRole("link", { name: "Kalender", exact: true }).click();
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    await page.getByRole("link", { name: "Neuer Termin" }).click({ timeout: 30_000 });
    await page.getByRole("heading", { name: "Neuer Termin", level: 1 }).waitFor();
    await page.getByLabel("Kalender", { exact: true }).selectOption(maths);
    await page.getByLabel("Titel", { exact: true }).fill(title);
    await page.getByLabel("Beginn (Uhrzeit)").fill("15:00");
    await page.getByLabel("Ende (Uhrzeit)").fill("16:30");
    await page.getByLabel("Wiederholen", { exact: true }).selectOption("weekly");
    await page.getByLabel("Bis einschließlich").waitFor();
    await page.getByLabel("Ort (freiwillig)").fill(place);
    await page.getByLabel("Beschreibung (freiwillig)").fill(description);
    await assertAccessible(page, "the event form");
    await saveScreenshots(page, "calendar-event-form");
    await page.getByRole("button", { name: "Speichern", exact: true }).click();
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    await page.getByRole("link", { name: /Mathe-AG/ }).first().waitFor({ timeout: 20_000 });
    await noScriptRan(page);
  });

  it("lets the teacher edit the event: the form comes back filled in, and the change shows", async () => {
    const page = teacherPage;
    await page.getByRole("link", { name: /Mathe-AG/ }).first().click();
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await page.getByRole("link", { name: "Bearbeiten" }).click();
    await page.getByRole("heading", { name: "Termin bearbeiten", level: 1 }).waitFor();
    assert.equal(await page.getByLabel("Titel", { exact: true }).inputValue(), title);
    assert.equal(await page.getByLabel("Ort (freiwillig)").inputValue(), place);
    assert.equal(await page.getByLabel("Wiederholen", { exact: true }).inputValue(), "weekly");
    await page.getByLabel("Ende (Uhrzeit)").fill("16:45");
    await page.getByRole("button", { name: "Speichern", exact: true }).click();
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    await page.getByRole("link", { name: /15:00–16:45\s*Mathe-AG/ }).first().waitFor({ timeout: 20_000 });
    await noScriptRan(page);
  });

  it("shows the event to a student of the course in the week and the agenda, and moves between days with the keys", async () => {
    const page = studentPage;
    await page.goto(`${web()}/#/calendar`);
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Woche", exact: true }).click();
    const inWeek = page.getByRole("link", { name: /Mathe-AG/ }).first();
    await inWeek.waitFor({ timeout: 20_000 });
    // The calendar is named in text beside its colour, and the title shows as it was typed.
    const text = await inWeek.innerText();
    assert.ok(text.includes(mathsName), text);
    assert.ok(text.includes("<img src=x"), text);
    assert.ok(text.includes("15:00–16:45"), text);
    // Arrow keys move the selected day, and focus with it.
    const today = await page.evaluate("(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; })()");
    await page.locator(`button[data-day="${String(today)}"]`).focus();
    await page.keyboard.press("ArrowRight");
    const tomorrow = DateTime.fromISO(String(today)).plus({ days: 1 }).toISODate();
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('data-day')"), tomorrow);
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('data-day')"), today);
    await assertAccessible(page, "the week view");
    await saveScreenshots(page, "calendar-week");

    await page.getByRole("button", { name: "Liste", exact: true }).click();
    // Weekly: the agenda's four weeks hold four of them.
    await eventually("four occurrences in the agenda", async () => ((await page.getByRole("link", { name: /Mathe-AG/ }).count()) >= 4 ? true : undefined));
    await assertAccessible(page, "the agenda");
    await saveScreenshots(page, "calendar-agenda");

    await page.getByRole("button", { name: "Monat", exact: true }).click();
    await page.getByRole("table").waitFor();
    await page.getByRole("link", { name: /Mathe-AG/ }).first().waitFor();
    await assertAccessible(page, "the month view");
    await saveScreenshots(page, "calendar-month");
    await noScriptRan(page);
  });

  it("shows the event's page with its text as text, and gives the student no way to change it", async () => {
    const page = studentPage;
    await page.getByRole("button", { name: "Liste", exact: true }).click();
    await page.getByRole("link", { name: /Mathe-AG/ }).first().click();
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await page.getByText(place, { exact: true }).waitFor();
    await page.getByText(description, { exact: true }).waitFor();
    await page.getByText(/Jede Woche bis/).waitFor();
    assert.equal(await page.getByRole("link", { name: "Bearbeiten" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /Löschen/ }).count(), 0);
    await page.getByText("In diesem Kalender kannst du nichts ändern.").waitFor();
    await assertAccessible(page, "the event page");
    await saveScreenshots(page, "calendar-event");
    await noScriptRan(page);
  });

  it("does not offer the course calendar in a student's form, and shows the server's refusal when forced", async () => {
    const page = studentPage;
    await page.goto(`${web()}/#/calendar`);
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    // The legend marks the course calendar as read only; the student's own calendar is the only one to write to.
    await page.getByRole("group", { name: "Kalender" }).getByText(mathsName).waitFor();
    assert.match(await page.getByRole("group", { name: "Kalender" }).innerText(), /Kurs · nur lesen/);
    await page.getByRole("link", { name: "Neuer Termin" }).click({ timeout: 90_000 });
    await page.getByRole("heading", { name: "Neuer Termin", level: 1 }).waitFor();
    await page.getByLabel("Kalender", { exact: true }).waitFor();
    assert.equal(await page.locator(`#ev-calendar option[value="${maths}"]`).count(), 0);
    // Forced through the link: the form offers it with a warning, and the server's refusal is shown.
    await page.goto(`${web()}/#/calendar/new?calendar=${encodeURIComponent(maths)}`);
    await page.getByRole("heading", { name: "Neuer Termin", level: 1 }).waitFor();
    await page.getByText("In diesem Kalender dürfen nur Lehrkräfte Termine eintragen.", { exact: false }).waitFor();
    await page.getByLabel("Titel", { exact: true }).fill("Party");
    await page.getByRole("button", { name: "Speichern", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Das darfst du hier nicht." }).waitFor();
  });

  it("shows the personal feed link, which serves the event as text/calendar", async () => {
    const page = studentPage;
    await page.goto(`${web()}/#/calendar`);
    await page.getByRole("link", { name: "Aufs Handy holen" }).click();
    await page.getByRole("heading", { name: "Kalender aufs Handy holen", level: 1 }).waitFor();
    await page.getByText("Der Link ist geheim wie ein Passwort", { exact: false }).waitFor();
    await page.getByLabel("Name des Links (freiwillig)").fill("Handy");
    await page.getByRole("button", { name: "Link erstellen", exact: true }).click();
    const input = page.getByLabel("Abo-Link").first();
    await input.waitFor();
    const url = await input.inputValue();
    assert.match(url, /\/_schulhof\/calendar\/v1\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
    const feed = await fetch(url);
    assert.equal(feed.status, 200);
    assert.match(feed.headers.get("content-type") ?? "", /^text\/calendar/);
    const ics = await feed.text();
    assert.match(ics, new RegExp(`SUMMARY:\\[${mathsName}\\] Mathe-AG`));
    assert.match(ics, /RRULE:FREQ=WEEKLY/);
    await assertAccessible(page, "the feed page");
    await saveScreenshots(page, "calendar-feed");
  });

  it("lets a teacher plan an exam, and shows the conflict of a second one that day before submitting", async () => {
    const page = teacherPage;
    await page.getByRole("link", { name: "Klausuren", exact: true }).click();
    await page.getByRole("heading", { name: "Klausuren", exact: true, level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Klausur anmelden" }).waitFor({ timeout: 30_000 });
    const form = page.locator("form.request");
    await form.getByLabel("Kurs", { exact: true }).selectOption({ label: mathsName });
    await form.getByLabel("Tag", { exact: true }).fill(examDay);
    // The school's periods with their times, as the server says (the test school has the default 8).
    await form.getByRole("checkbox", { name: /^3\. Stunde 09:55–10:40 Uhr/ }).check();
    await form.getByRole("checkbox", { name: /^4\. Stunde/ }).check();
    assert.equal(await form.getByRole("checkbox").count(), 8);
    await form.getByText(/^(Passt|Möglich)/).waitFor({ timeout: 20_000 });
    await form.getByRole("button", { name: "Klausur eintragen" }).click();
    await page.getByText("Die Klausur ist eingetragen und angekündigt.").waitFor({ timeout: 20_000 });
    await page.locator("section", { has: page.getByRole("heading", { name: "Kommende Klausuren" }) }).getByText(mathsName).waitFor();

    // The second exam that day for the same class: the check says why, before anything is sent.
    await form.getByLabel("Kurs", { exact: true }).selectOption({ label: germanName });
    await form.getByLabel("Tag", { exact: true }).fill(examDay);
    await form.getByRole("checkbox", { name: /^1\. Stunde/ }).check();
    await form.getByRole("checkbox", { name: /^2\. Stunde/ }).check();
    await form.getByText("So kann die Klausur nicht eingetragen werden.").waitFor({ timeout: 20_000 });
    const reasons = await form.locator(".check").innerText();
    assert.ok(reasons.includes(mathsName) && /erlaubt ist 1 pro Tag/.test(reasons), reasons);
    assert.equal(await form.getByRole("button", { name: "Klausur eintragen" }).isDisabled(), true);
    await assertAccessible(page, "the exam plan (teacher)");
    await saveScreenshots(page, "exams-plan-teacher");
    // The week of the exam: the exam, and why no second one fits that day.
    const week = page.locator("section.week", { has: page.getByText(mathsName) }).first();
    await week.getByText("Keine Klausur möglich.").first().waitFor({ timeout: 20_000 });
    await week.scrollIntoViewIfNeeded();
    await saveScreenshots(page, "exams-weeks-teacher");
  });

  it("shows the student the confirmed exam in Klausuren, without the request form", async () => {
    const page = studentPage;
    await page.getByRole("link", { name: "Klausuren", exact: true }).click();
    await page.getByRole("heading", { name: "Klausuren", exact: true, level: 1 }).waitFor();
    const coming = page.locator("section", { has: page.getByRole("heading", { name: "Kommende Klausuren" }) });
    await coming.getByText(mathsName).waitFor({ timeout: 20_000 });
    assert.match(await coming.innerText(), /Klassenarbeit · 3\.–4\. Std\./);
    assert.equal(await page.getByRole("heading", { name: "Klausur anmelden" }).count(), 0);
    await page.locator("section", { has: page.getByRole("heading", { name: "Wochenübersicht" }) }).getByText(mathsName).first().waitFor();
    await assertAccessible(page, "the exam plan (student)");
    await saveScreenshots(page, "exams-plan-student");
  });

  it("checks a move while the teacher chooses the new slot, before anything moves", async () => {
    const page = teacherPage;
    const coming = page.locator("section", { has: page.getByRole("heading", { name: "Kommende Klausuren" }) });
    await coming.getByRole("button", { name: "Verschieben", exact: true }).first().click();
    const move = coming.locator("form.inline-form");
    // Its own slot fits (an exam does not conflict with itself); a Saturday does not, and moving is not offered.
    await move.getByText("Passt: Die Klausur kann so verschoben werden.").waitFor({ timeout: 20_000 });
    const saturday = DateTime.fromISO(examDay).plus({ days: 4 }).toISODate()!;
    await move.getByLabel("Neuer Tag").fill(saturday);
    await move.getByText("So kann die Klausur nicht verschoben werden.").waitFor({ timeout: 20_000 });
    assert.match(await move.locator(".check").innerText(), /kein Schultag/);
    assert.equal(await move.locator("button[type=submit]").isDisabled(), true);
    await assertAccessible(page, "the move form with its check");
    await saveScreenshots(page, "exams-move-check");
    await coming.getByRole("button", { name: "Verschieben", exact: true }).first().click();
    assert.equal(await move.count(), 0);
  });

  it("lets the teacher cancel the exam, which then leaves the student's list", async () => {
    const page = teacherPage;
    const coming = page.locator("section", { has: page.getByRole("heading", { name: "Kommende Klausuren" }) });
    await coming.getByRole("button", { name: "Absagen", exact: true }).click();
    await coming.getByLabel("Grund (freiwillig, der Kurs sieht ihn)").fill("Lehrkraft auf Fortbildung");
    await coming.getByRole("button", { name: "Klausur absagen" }).click();
    await page.getByText("Die Klausur ist abgesagt. Der Kurs wird benachrichtigt.").waitFor({ timeout: 20_000 });
    await coming.getByText("Keine Klausuren angekündigt.").waitFor({ timeout: 20_000 });
    await studentPage.reload();
    const studentComing = studentPage.locator("section", { has: studentPage.getByRole("heading", { name: "Kommende Klausuren" }) });
    await studentComing.getByText("Keine Klausuren angekündigt.").waitFor({ timeout: 20_000 });
  });

  it("works in English and the dark theme, still without running injected script", async () => {
    const page = studentPage;
    await page.goto(`${web()}/#/calendar`);
    await page.getByRole("button", { name: "English", exact: true }).click();
    await page.getByRole("button", { name: "Dark theme", exact: true }).click();
    await page.getByRole("heading", { name: "Calendar", exact: true, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Week", exact: true }).click();
    await page.getByRole("link", { name: /Mathe-AG/ }).first().waitFor();
    await page.getByText("All times in the time zone", { exact: false }).waitFor();
    await assertAccessible(page, "the week view in English, dark");
    await saveScreenshots(page, "calendar-week-en-dark");
    await page.getByRole("link", { name: "Exams", exact: true }).click();
    await page.getByRole("heading", { name: "Coming exams" }).waitFor();
    await assertAccessible(page, "the exam plan in English, dark");
    await saveScreenshots(page, "exams-plan-en-dark");
    await noScriptRan(page);
  });

  it("lets the teacher delete the event, which is gone from the calendar at once", async () => {
    const page = teacherPage;
    await page.goto(`${web()}/#/calendar`);
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Liste", exact: true }).click();
    await page.getByRole("link", { name: /Mathe-AG/ }).first().click();
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Ganze Serie löschen" }).click();
    await page.getByRole("heading", { name: "Kalender", exact: true, level: 1 }).waitFor();
    // The first answer after the deletion no longer has it: no waiting for the homeserver's echo.
    await eventually("the agenda loaded", async () => ((await page.locator(".loading").innerText()).trim() === "" ? true : undefined), 10_000, 100);
    assert.equal(await page.getByRole("link", { name: /Mathe-AG/ }).count(), 0);
    await noScriptRan(page);
  });
});
