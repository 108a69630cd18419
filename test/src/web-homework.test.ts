// The Aufgaben section in a real Chromium against the real stack: a teacher sets an assignment in the browser, a student
// submits text and a file, the teacher grades it, the student sees the grade; another student sees none of it; no
// script injected through titles, descriptions, file names or texts runs. The client joins only the submission room
// the homework API names, marks "started" through the API, and shows a clear refusal where the bot may not publish.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MatrixError } from "matrix-js-sdk";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { apiSession } from "./harness/openid.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

const HW = "de.schulhof.homework";
const COURSE_NAME = "Mathematik 9z";
/** Every untrusted field carries a payload that would set `window.__hwXss` if it ran. */
const TITLE = `Bruchrechnung <img src=x onerror="window.__hwXss='title'">`;
const DESCRIPTION = `Seite 42, Aufgaben 1 bis 3.\n<script>window.__hwXss='description'</script><img src=x onerror="window.__hwXss='description'">`;
const ANSWER = `3/4 + 1/4 = 1 <script>window.__hwXss='text'</script><img src=x onerror="window.__hwXss='text'">`;
const EVIL_FILE = `<img src=x onerror=window.__hwXss=1>loesung.txt`;
const FILE_CONTENT = "Meine Lösung: 1\n";
const HTML_ASSIGNMENT = "a-web-html";
/** A second course whose room the homework bot is in without the power to write assignments. */
const POWERLESS_COURSE = "Deutsch 9z";

/** A wall-clock time in Europe/Berlin, as `<input type="datetime-local">` takes it. */
function berlinWallClock(ms: number): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

async function refused(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof MatrixError && (e.errcode === "M_FORBIDDEN" || e.httpStatus === 403));
}

async function assertNoScriptRan(page: Page, where: string): Promise<void> {
  assert.equal(await page.evaluate("typeof window.__hwXss"), "undefined", `an injected script ran on ${where}`);
}

describe("web client: homework in the browser", { concurrency: false }, () => {
  let browser: Browser;
  let teacher: TestUser;
  let s1: TestUser;
  let s2: TestUser;
  let course: string;
  let powerless: string;
  /** A room someone other than the bot invited the first student to: the client must leave that invitation alone. */
  let strangerRoom: string;
  let assignmentId = "";
  const contexts: BrowserContext[] = [];
  const pages = new Map<string, Page>();
  const dialogs: string[] = [];
  const page = (who: "teacher" | "s1" | "s2"): Page => pages.get(who)!;
  const web = (): string => testEnv().webUrl;
  const bot = (): string => `@hausaufgaben:${testEnv().serverName}`;
  const assignmentUrl = (id = assignmentId): string => `${web()}/#/homework/course/${encodeURIComponent(course)}/assignment/${encodeURIComponent(id)}`;
  const files = mkdtempSync(join(tmpdir(), "schulhof-homework-"));

  before(async () => {
    const unthrottled = { unthrottled: true };
    [teacher, s1, s2] = await Promise.all([newUser("hwlehrerin", unthrottled), newUser("hwschueler1", unthrottled), newUser("hwschueler2", unthrottled)]);
    // A course room as provisioning makes it: course state, the teacher (creator) above 50, the homework bot at 50, the students at 0.
    course = (
      await teacher.client.createRoom({
        name: COURSE_NAME,
        initial_state: [{ type: "de.schulhof.course", state_key: "", content: { name: COURSE_NAME, subject: "Mathematik" } }],
        power_level_content_override: { users: { [bot()]: 50 }, state_default: 50, events_default: 0 },
      })
    ).room_id;
    for (const u of [s1.userId, s2.userId, bot()]) await teacher.client.invite(course, u);
    for (const s of [s1, s2]) await s.client.joinRoom(course);
    await eventually("bot joined the course", async () => (bot() in (await teacher.client.getJoinedRoomMembers(course)).joined ? true : undefined));
    // A course room where the bot is a member at level 0, and state needs 50: it may not write assignments there.
    powerless = (
      await teacher.client.createRoom({
        name: POWERLESS_COURSE,
        initial_state: [{ type: "de.schulhof.course", state_key: "", content: { name: POWERLESS_COURSE, subject: "Deutsch" } }],
        power_level_content_override: { users: { [bot()]: 0 }, state_default: 50, events_default: 0 },
      })
    ).room_id;
    await teacher.client.invite(powerless, bot());
    await eventually("bot joined the second course", async () => (bot() in (await teacher.client.getJoinedRoomMembers(powerless)).joined ? true : undefined));
    strangerRoom = (await teacher.client.createRoom({ name: "Fremde Einladung" })).room_id;
    await teacher.client.invite(strangerRoom, s1.userId);
    browser = await launchBrowser();
    for (const who of ["teacher", "s1", "s2"] as const) {
      const { context, page: p } = await newPersonPage(browser, who, new URL(web()).origin);
      p.on("dialog", (d) => {
        dialogs.push(`${who}: ${d.message()}`);
        void d.accept();
      });
      contexts.push(context);
      pages.set(who, p);
    }
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
  });

  it("lets the teacher write an assignment with an attachment and publish it", async () => {
    const p = page("teacher");
    await loginThroughUi(p, web(), teacher);
    await p.getByRole("link", { name: "Aufgaben", exact: true }).click();
    await p.getByRole("heading", { name: "Kurse, die du unterrichtest" }).waitFor({ timeout: 30_000 });
    await p.getByRole("link", { name: `Neue Aufgabe in ${COURSE_NAME}` }).click();
    await p.getByRole("heading", { name: "Neue Aufgabe", level: 1 }).waitFor();

    // Publishing without a title or due date names both problems.
    await p.getByRole("button", { name: "Veröffentlichen" }).click();
    await p.getByText("Bitte einen Titel eingeben.").waitFor();
    await p.getByText("Bitte angeben, wann die Aufgabe fällig ist.").waitFor();

    await p.getByLabel("Titel").fill(TITLE);
    await p.getByLabel("Beschreibung").fill(DESCRIPTION);
    await p.getByLabel("Fällig am").fill(berlinWallClock(Date.now() + 3 * 86_400_000));
    await p.getByLabel("Abgabeschluss (freiwillig)").fill(berlinWallClock(Date.now() + 5 * 86_400_000));
    await p.getByLabel("Note (1 bis 6)").check();
    // Edited fields are no longer marked wrong.
    assert.equal(await p.getByText("Bitte einen Titel eingeben.").count(), 0);
    assert.equal(await p.getByText("Bitte angeben, wann die Aufgabe fällig ist.").count(), 0);
    const sheet = join(files, "arbeitsblatt.txt");
    writeFileSync(sheet, "Aufgabe 1: 3/4 + 1/4\n");
    await p.getByLabel("Anhänge hochladen").setInputFiles(sheet);
    await p.getByRole("button", { name: "arbeitsblatt.txt entfernen" }).waitFor({ timeout: 30_000 });
    await assertAccessible(p, "the assignment form");
    await saveScreenshots(p, "homework-form");

    await p.getByRole("button", { name: "Veröffentlichen" }).click();
    // The bot writes the state event; the page follows once it reaches the client.
    await p.getByRole("heading", { name: TITLE, level: 1 }).waitFor({ timeout: 60_000 });
    assignmentId = decodeURIComponent(/\/assignment\/([^/]+)$/.exec(p.url())?.[1] ?? "");
    assert.match(assignmentId, /^a[0-9a-f]{12}$/);
    await p.getByText("0 von 2 abgegeben, davon 0 verspätet; 2 fehlen.").waitFor({ timeout: 30_000 });
    await p.getByRole("button", { name: "arbeitsblatt.txt herunterladen" }).waitFor();
    await assertNoScriptRan(p, "the teacher's assignment page");
  });

  it("shows the student the new assignment in the to-do list", async () => {
    const p = page("s1");
    await loginThroughUi(p, web(), s1);
    await p.goto(`${web()}/#/homework`);
    await p.getByRole("heading", { name: "Zu erledigen" }).waitFor({ timeout: 30_000 });
    const item = p.getByRole("listitem").filter({ has: p.getByRole("link", { name: TITLE }) });
    await item.waitFor({ timeout: 30_000 });
    await item.getByText("neu", { exact: true }).waitFor();
    await item.getByText(COURSE_NAME).waitFor();
    await item.getByText(/^Fällig \w{2}\., \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$/).waitFor();
    await assertAccessible(p, "the student's to-do list");
    await saveScreenshots(p, "homework-todo");
    await assertNoScriptRan(p, "the to-do list");
  });

  it("lets the student submit a text and a file, with upload, receipt and no injected script", async () => {
    const p = page("s1");
    await p.getByRole("link", { name: TITLE }).click();
    await p.getByRole("heading", { name: TITLE, level: 1 }).waitFor();
    await p.getByText("Seite 42, Aufgaben 1 bis 3.", { exact: false }).waitFor();
    // The form appears once the client has joined the private submission room the bot made (the one the API names).
    await p.getByLabel("Deine Lösung").waitFor({ timeout: 60_000 });
    const s1api = await apiSession(s1, `${testEnv().homeworkUrl}/_schulhof/homework/v1`);
    const own = ((await (await s1api("/todo")).json()) as { items: { assignment_id: string; submission_room: string | null }[] }).items.find((i) => i.assignment_id === assignmentId);
    assert.match(own?.submission_room ?? "", /^!/);
    const strangerMembership = (await teacher.client.getStateEvent(strangerRoom, "m.room.member" as never, s1.userId)) as { membership: string };
    assert.equal(strangerMembership.membership, "invite", "the client joined a room the API did not name");

    // "Als begonnen markieren" goes through the API; the status follows at once.
    await p.getByRole("button", { name: "Als begonnen markieren" }).click();
    await p.getByText("Als begonnen markiert.").waitFor({ timeout: 30_000 });
    await p.getByText("begonnen", { exact: true }).waitFor();
    assert.equal(await p.getByRole("button", { name: "Als begonnen markieren" }).count(), 0);
    await p.getByLabel("Deine Lösung").fill(ANSWER);
    const evil = join(files, EVIL_FILE);
    writeFileSync(evil, FILE_CONTENT);
    await p.getByLabel("Dateien anhängen").setInputFiles(evil);
    await p.getByRole("list", { name: "Ausgewählte Dateien" }).getByText(EVIL_FILE, { exact: true }).waitFor();
    await p.getByRole("button", { name: "Abgeben", exact: true }).click();
    await p.getByText("Abgabe erhalten. Die Eingangsbestätigung steht oben bei deinen bisherigen Abgaben.").waitFor({ timeout: 60_000 });
    const history = p.getByRole("region", { name: "Deine bisherigen Abgaben" });
    await history.getByText(/^Eingegangen .*, pünktlich$/).waitFor({ timeout: 30_000 });
    await history.getByText(ANSWER, { exact: true }).waitFor();
    await history.getByText(EVIL_FILE, { exact: true }).waitFor();
    await p.getByRole("button", { name: "Neue Fassung abgeben" }).waitFor();
    await assertAccessible(p, "the student's submission view");
    await saveScreenshots(p, "homework-submission");
    await assertNoScriptRan(p, "the submission view");
  });

  it("shows the teacher who submitted, opens the submission with its file and grades it", async () => {
    const p = page("teacher");
    await p.goto(assignmentUrl());
    await p.reload();
    await p.getByText("1 von 2 abgegeben, davon 0 verspätet; 1 fehlen.").waitFor({ timeout: 30_000 });
    await assertAccessible(p, "the teacher's overview");
    await saveScreenshots(p, "homework-teacher-overview");

    await p.getByRole("link", { name: "Abgabe von hwschueler1 öffnen" }).click();
    await p.getByRole("heading", { name: "Abgabe von hwschueler1", level: 1 }).waitFor();
    await p.getByText(ANSWER, { exact: true }).waitFor({ timeout: 30_000 });
    // The file comes from the media repository with the teacher's token (authenticated media).
    const [download] = await Promise.all([p.waitForEvent("download"), p.getByRole("button", { name: `${EVIL_FILE} herunterladen` }).click()]);
    assert.equal(readFileSync(await download.path(), "utf8"), FILE_CONTENT);

    await p.getByLabel("Note", { exact: true }).selectOption("2+");
    await p.getByLabel("Kommentar").fill("Gut gemacht, <b>aber</b> kürze am Ende.");
    await p.getByRole("button", { name: "Rückmeldung speichern" }).click();
    await p.getByText("Rückmeldung gespeichert. hwschueler1 sieht sie jetzt.").waitFor({ timeout: 30_000 });
    const feedback = p.getByRole("region", { name: "Rückmeldung" });
    await feedback.getByText("2+", { exact: true }).waitFor({ timeout: 30_000 });
    await assertAccessible(p, "the grading view");
    await saveScreenshots(p, "homework-grading");
    await assertNoScriptRan(p, "the grading view");

    await p.goto(assignmentUrl());
    await p.getByText("Bewertet: 2+").waitFor({ timeout: 30_000 });
  });

  it("shows the student the grade and the comment", async () => {
    const p = page("s1");
    await eventually(
      "the grade in the to-do list",
      async () => {
        await p.goto(`${web()}/#/homework`);
        await p.reload();
        await p.getByRole("heading", { name: "Abgegeben und vergangen" }).waitFor({ timeout: 20_000 });
        return (await p.getByText("Note: 2+").count()) > 0 ? true : undefined;
      },
      60_000,
      1000,
    );
    const item = p.getByRole("listitem").filter({ has: p.getByRole("link", { name: TITLE }) });
    await item.getByText("abgegeben", { exact: true }).waitFor();
    await p.getByRole("link", { name: TITLE }).click();
    const feedback = p.getByRole("region", { name: "Rückmeldung" });
    await feedback.getByText("2+", { exact: true }).waitFor({ timeout: 30_000 });
    await feedback.getByText("Gut gemacht, <b>aber</b> kürze am Ende.", { exact: true }).waitFor();
    await feedback.getByText(/^von hwlehrerin, /).waitFor();
    await assertAccessible(p, "the student's view with feedback");
    await saveScreenshots(p, "homework-feedback");
  });

  it("shows a second student nothing of the first one's submission, neither in the page nor by URL or room", async () => {
    const p = page("s2");
    await loginThroughUi(p, web(), s2);
    await p.goto(assignmentUrl());
    await p.getByRole("heading", { name: TITLE, level: 1 }).waitFor({ timeout: 30_000 });
    await p.getByText("Du hast noch nichts abgegeben.").waitFor({ timeout: 30_000 });
    await p.getByText("Noch keine Rückmeldung.").waitFor();
    assert.equal(await p.getByText(ANSWER).count(), 0);
    assert.equal(await p.getByText(EVIL_FILE).count(), 0);
    assert.equal(await p.getByText("Gut gemacht").count(), 0);

    // The teacher's grading URL of the first student: the service refuses, and the page says so.
    await p.goto(`${assignmentUrl()}/student/${encodeURIComponent(s1.userId)}`);
    await p.getByRole("heading", { name: "Kein Zugriff", level: 1 }).waitFor({ timeout: 30_000 });
    await p.getByRole("alert").filter({ hasText: "Das darfst du nicht sehen." }).waitFor();
    assert.equal(await p.getByText(ANSWER).count(), 0);
    await assertAccessible(p, "the refusal");

    // The submission room itself: the homeserver refuses to let the second student in or read it.
    const t = await apiSession(teacher, `${testEnv().homeworkUrl}/_schulhof/homework/v1`);
    const overview = (await (await t(`/courses/${encodeURIComponent(course)}/assignments/${assignmentId}/overview`)).json()) as { students: { user_id: string; submission_room: string | null }[] };
    const s1Room = overview.students.find((s) => s.user_id === s1.userId)?.submission_room ?? "";
    assert.match(s1Room, /^!/);
    await refused(s2.client.joinRoom(s1Room));
    await refused(s2.client.createMessagesRequest(s1Room, null, 10, "b" as never));
    await refused(s2.client.getStateEvent(s1Room, `${HW}.submission_room` as never, ""));

    // The API names the second student's own room, never the first one's.
    const s2api = await apiSession(s2, `${testEnv().homeworkUrl}/_schulhof/homework/v1`);
    const todo = await (await s2api("/todo")).text();
    const s2Room = (JSON.parse(todo) as { items: { assignment_id: string; submission_room: string | null }[] }).items.find((i) => i.assignment_id === assignmentId)?.submission_room;
    assert.match(s2Room ?? "", /^!/);
    assert.notEqual(s2Room, s1Room);
    assert.ok(!todo.includes(s1Room), "the first student's room reached the second");
    // A student teaches nothing.
    assert.deepEqual(await (await s2api("/teaching")).json(), { courses: [] });
  });

  it("renders a formatted description cleaned and runs no injected script anywhere", async () => {
    await teacher.client.sendStateEvent(
      course,
      `${HW}.assignment` as never,
      {
        title: "Gedicht <script>window.__hwXss='state'</script>",
        due: new Date(Date.now() + 86_400_000 * 7).toISOString(),
        description: { body: "Lies das Gedicht.", html: `<p>Lies das <b>Gedicht</b>.</p><img src=x onerror="window.__hwXss='html'"><script>window.__hwXss='html'</script><a href="javascript:window.__hwXss='link'">Link</a>` },
      } as never,
      HTML_ASSIGNMENT,
    );
    const p = page("s1");
    await p.goto(assignmentUrl(HTML_ASSIGNMENT));
    await p.getByRole("heading", { name: "Gedicht <script>window.__hwXss='state'</script>", level: 1 }).waitFor({ timeout: 30_000 });
    await p.locator(".description b", { hasText: "Gedicht" }).waitFor();
    assert.equal(await p.locator(".description img, .description script").count(), 0);
    const link = p.locator(".description a", { hasText: "Link" });
    assert.ok(!((await link.getAttribute("href")) ?? "").startsWith("javascript:"));
    for (const who of ["teacher", "s1", "s2"] as const) await assertNoScriptRan(page(who), `${who}'s page`);
    assert.deepEqual(dialogs, []);
  });

  it("says clearly when the bot may not publish in a course room, and keeps the draft", async () => {
    const p = page("teacher");
    await p.goto(`${web()}/#/homework`);
    await p.getByRole("link", { name: `Neue Aufgabe in ${POWERLESS_COURSE}` }).click({ timeout: 30_000 });
    await p.getByRole("heading", { name: "Neue Aufgabe", level: 1 }).waitFor();
    await p.getByLabel("Titel").fill("Erörterung");
    await p.getByLabel("Fällig am").fill(berlinWallClock(Date.now() + 4 * 86_400_000));
    await p.getByRole("button", { name: "Veröffentlichen" }).click();
    const alert = p.getByRole("alert").filter({ hasText: `Der Hausaufgaben-Bot ${bot()} darf in diesem Kursraum keine Aufgaben eintragen.` });
    await alert.waitFor({ timeout: 30_000 });
    await alert.getByText(/Dein Entwurf bleibt gespeichert\.$/).waitFor();
    await assertAccessible(p, "the refused publication");
    await saveScreenshots(p, "homework-publish-refused");
    // Nothing reached the room, and the draft is listed under the course.
    const state = (await teacher.client.roomState(powerless)) as unknown as { type: string }[];
    assert.equal(state.filter((e) => e.type === `${HW}.assignment`).length, 0);
    await p.getByRole("link", { name: "Abbrechen" }).click();
    const drafts = p.getByRole("region", { name: `Aufgaben in ${POWERLESS_COURSE}` });
    await drafts.getByRole("link", { name: "Erörterung" }).waitFor({ timeout: 30_000 });
  });

  it("lets the teacher extend the due date for the second student and close the assignment", async () => {
    const p = page("teacher");
    await p.goto(`${assignmentUrl()}/student/${encodeURIComponent(s2.userId)}`);
    await p.getByRole("heading", { name: "Abgabe von hwschueler2", level: 1 }).waitFor({ timeout: 30_000 });
    await p.getByText("hwschueler2 hat noch nichts abgegeben.").waitFor();
    await p.getByLabel("Neue Frist").fill(berlinWallClock(Date.now() + 10 * 86_400_000));
    await p.getByRole("button", { name: "Frist verlängern" }).click();
    await p.getByText(/^Frist verlängert bis /).waitFor({ timeout: 30_000 });

    const s = page("s2");
    await eventually(
      "the extension on the student's page",
      async () => {
        await s.goto(assignmentUrl());
        await s.reload();
        await s.getByRole("heading", { name: TITLE, level: 1 }).waitFor({ timeout: 20_000 });
        await s.getByText("Du hast noch nichts abgegeben.").waitFor({ timeout: 20_000 });
        return (await s.getByText(/^Deine Frist wurde verlängert bis /).count()) > 0 ? true : undefined;
      },
      60_000,
      1000,
    );

    await p.goto(assignmentUrl());
    await p.getByRole("button", { name: "Aufgabe schließen" }).click({ timeout: 30_000 });
    await p.getByText("Diese Aufgabe ist geschlossen.").waitFor({ timeout: 30_000 });
    assert.deepEqual(dialogs, ["teacher: Die Aufgabe schließen? Danach nimmt sie keine Abgaben mehr an."]);
    await s.goto(assignmentUrl());
    await s.reload();
    await s.getByText("Abgaben sind nicht mehr möglich: die Lehrkraft hat die Aufgabe geschlossen.").waitFor({ timeout: 30_000 });

    // The teacher's course list: both assignments, the first one marked closed.
    await p.getByRole("link", { name: "Zurück zu den Aufgaben" }).click();
    const courseList = p.getByRole("region", { name: `Aufgaben in ${COURSE_NAME}` });
    await courseList.getByRole("listitem").filter({ has: p.getByRole("link", { name: TITLE }) }).getByText("geschlossen", { exact: true }).waitFor({ timeout: 30_000 });
    await courseList.getByRole("link", { name: "Gedicht <script>window.__hwXss='state'</script>" }).waitFor();
    await assertAccessible(p, "the teacher's course list");
    await saveScreenshots(p, "homework-teacher-courses");
  });

  it("shows the to-do list in English and the dark theme, accessible", async () => {
    const p = page("s1");
    await p.goto(`${web()}/#/homework`);
    await p.getByRole("button", { name: "English", exact: true }).click();
    await p.getByRole("button", { name: "Dark theme", exact: true }).click();
    await p.reload();
    await p.getByRole("heading", { name: "Homework", level: 1 }).waitFor({ timeout: 30_000 });
    await p.getByRole("heading", { name: "To do" }).waitFor();
    await p.getByText("Grade: 2+").waitFor({ timeout: 30_000 });
    assert.equal(await p.getAttribute("html", "data-theme"), "dark");
    await assertAccessible(p, "the to-do list in English, dark");
    await saveScreenshots(p, "homework-todo-en-dark");
  });
});
