// The Chats section in a real Chromium against a real Synapse: a teacher and a student in a course room (messages,
// replies, edits, reactions, an image upload with progress, unread counts, typing), a direct message, long history,
// feature rooms kept out of the list, an encrypted room, and script injection through every untrusted field.
import assert from "node:assert/strict";
import { deflateSync, crc32 } from "node:zlib";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { eventually, newUser, roomMessages, type TestUser } from "./harness/users.ts";

/** What a script injected through untrusted content would do: push its source here. Must stay empty. */
const XSS_PROBE = "window.__xss";
const injected = (source: string): string => `<img src=x onerror="${XSS_PROBE}.push('${source}')">`;

/** A PNG of random pixels (does not compress: the upload takes a while under the throttled network). */
function noisePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) rows.push(Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 0 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("web client: chats in the browser", { concurrency: false }, () => {
  let browser: Browser;
  let admin: TestUser;
  let teacher: TestUser;
  let student: TestUser;
  let courseId: string;
  let archiveId: string;
  const contexts: BrowserContext[] = [];
  let teacherPage: Page;
  let studentPage: Page;

  const courseName = "Physik 9c";
  const classSpaceName = "Klasse 9c";
  const evilRoomName = `${injected("room")}Theater-AG`;
  const firstMessage = "Hallo, ich habe eine Frage zur Hausaufgabe.";
  const editedMessage = "Hallo, ich habe eine Frage zur Hausaufgabe 3.";
  const replyText = "Gern, frag einfach!";
  const imageName = `${injected("file")}tafelbild.png`;
  /** Rooms of other sections, each with the marker its appservice writes; none may show up in the list. */
  const featureRooms = [
    { name: "Abgaben Physik 9c: Schüler", state: { type: "de.schulhof.homework.submission_room", content: { course_room: "", students: [], assignment_id: null } } },
    { name: "Klausurplan 9c", state: { type: "de.schulhof.exam.cohort", content: { kind: "class", name: "9c", stage: "sek1", grade: 9 } } },
    { name: "Kalender Fachschaft Physik", state: { type: "de.schulhof.calendar", content: { name: "Fachschaft Physik", colour: "#1f6feb", scope: "teachers" } } },
    { name: "E-Mail: Elternabend", state: { type: "de.schulhof.mail.conversation", content: { local_user: "", external: ["eltern@example.org"] } } },
  ];

  const web = (): string => testEnv().webUrl;
  const chatsUrl = (roomId?: string): string => `${web()}/#/chats${roomId === undefined ? "" : `/${encodeURIComponent(roomId)}`}`;
  const message = (page: Page, text: string | RegExp): Locator => page.locator("li.message").filter({ hasText: text }).first();
  const composer = (page: Page, room: string): Locator => page.getByLabel(`Nachricht an ${room}`);
  const roomLink = (page: Page, name: string | RegExp): Locator => page.getByRole("link", { name }).and(page.locator("[data-chat-link]"));

  before(async () => {
    const unthrottled = { unthrottled: true };
    [admin, teacher, student] = await Promise.all([newUser("chadmin", unthrottled), newUser("chlehrerin", unthrottled), newUser("chschueler", unthrottled)]);
    const people = [teacher, student];
    const joinAll = async (roomId: string, who: TestUser[] = people): Promise<void> => {
      for (const person of who) {
        await admin.client.invite(roomId, person.userId);
        await person.client.joinRoom(roomId);
      }
    };
    // The class space holds the course room; the course also carries a calendar, like the school provisions it.
    const space = (
      await admin.client.createRoom({
        name: classSpaceName,
        creation_content: { type: "m.space" },
        initial_state: [{ type: "de.schulhof.room", state_key: "", content: { kind: "class", key: "class:9c", parent: null } }],
      })
    ).room_id;
    courseId = (
      await admin.client.createRoom({
        name: courseName,
        topic: "Kurs Physik 9c",
        initial_state: [
          { type: "de.schulhof.room", state_key: "", content: { kind: "course", key: `course:${courseName}`, parent: "class:9c" } },
          { type: "de.schulhof.calendar", state_key: "", content: { name: courseName, colour: "#2da44e", scope: "course" } },
        ],
        power_level_content_override: { users: { [teacher.userId]: 50 } },
      })
    ).room_id;
    await admin.client.sendStateEvent(space, "m.space.child" as never, { via: [testEnv().serverName] } as never, courseId);
    await joinAll(space);
    await joinAll(courseId);
    for (const feature of featureRooms) {
      const id = (await admin.client.createRoom({ name: feature.name, initial_state: [{ type: feature.state.type, state_key: "", content: feature.state.content }] })).room_id;
      await joinAll(id);
    }
    await joinAll((await admin.client.createRoom({ name: evilRoomName })).room_id, [student]);
    await joinAll(
      (await admin.client.createRoom({ name: "Geheimbund", initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] })).room_id,
      [student],
    );
    // A long history: more than one page.
    archiveId = (await admin.client.createRoom({ name: "Archiv 9c" })).room_id;
    await joinAll(archiveId, [student]);
    for (let i = 1; i <= 60; i++) await admin.client.sendMessage(archiveId, { msgtype: "m.text" as never, body: `Verlauf ${i}` } as never);

    browser = await launchBrowser();
    for (const [person, label] of [[teacher, "teacher"], [student, "student"]] as const) {
      const { context, page } = await newPersonPage(browser, label, new URL(web()).origin);
      await context.addInitScript(`${XSS_PROBE} = [];`);
      contexts.push(context);
      if (person === teacher) teacherPage = page;
      else studentPage = page;
    }
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
  });

  it("lists the course under its class space, shows the room name as text, and keeps feature rooms out", async () => {
    await loginThroughUi(studentPage, web(), student);
    await loginThroughUi(teacherPage, web(), teacher);
    await studentPage.getByRole("link", { name: "Chats", exact: true }).click();
    await studentPage.getByRole("heading", { name: "Chats", level: 1 }).waitFor();
    await roomLink(studentPage, new RegExp(courseName)).waitFor({ timeout: 30_000 });
    await studentPage.getByRole("heading", { name: classSpaceName, level: 2 }).waitFor();
    // The course room is listed under its space, as the first chat after the space's heading.
    const underSpace = studentPage.getByRole("heading", { name: classSpaceName }).locator("xpath=following-sibling::ul[1]");
    await underSpace.getByRole("link", { name: new RegExp(courseName) }).waitFor();
    await roomLink(studentPage, /<img src=x onerror=.*Theater-AG/).waitFor();
    await roomLink(studentPage, /Archiv 9c/).waitFor();
    for (const feature of featureRooms) assert.equal(await studentPage.getByText(feature.name).count(), 0, `${feature.name} is not listed`);
    await assertAccessible(studentPage, "the chat list");
    await saveScreenshots(studentPage, "chats-list");
  });

  it("finds rooms by name and moves through the list with the arrow keys", async () => {
    const search = studentPage.getByLabel("Chats nach Namen suchen");
    await search.fill("phys");
    await studentPage.getByRole("status").filter({ hasText: "1 Treffer" }).waitFor();
    assert.equal(await studentPage.locator("[data-chat-link]").count(), 1);
    await search.fill("");
    await search.focus();
    await studentPage.keyboard.press("ArrowDown");
    const first = await studentPage.evaluate("document.activeElement?.tagName === 'A' && document.activeElement.hasAttribute('data-chat-link')");
    assert.ok(first, "ArrowDown from the search focuses the first chat");
    const before = await studentPage.evaluate("document.activeElement?.textContent");
    await studentPage.keyboard.press("ArrowDown");
    const afterMove = await studentPage.evaluate("document.activeElement?.textContent");
    assert.notEqual(afterMove, before, "ArrowDown moves to the next chat");
    await studentPage.keyboard.press("Home");
    assert.equal(await studentPage.evaluate("document.activeElement?.textContent"), before);
  });

  it("delivers the student's message to the teacher, counts it as unread, and clears the count on opening", async () => {
    await teacherPage.goto(chatsUrl());
    const teacherCourseLink = roomLink(teacherPage, new RegExp(courseName));
    await teacherCourseLink.waitFor({ timeout: 30_000 });
    assert.doesNotMatch((await teacherCourseLink.textContent()) ?? "", /ungelesen/);

    await roomLink(studentPage, new RegExp(courseName)).click();
    await studentPage.getByRole("heading", { name: courseName, level: 1 }).waitFor();
    await composer(studentPage, courseName).fill(firstMessage);
    await composer(studentPage, courseName).press("Enter");
    await message(studentPage, firstMessage).waitFor();
    assert.equal(await composer(studentPage, courseName).inputValue(), "", "the composer is empty after sending");

    await roomLink(teacherPage, /Physik 9c.*1 ungelesen/).waitFor({ timeout: 20_000 });
    await teacherCourseLink.click();
    await message(teacherPage, firstMessage).waitFor();
    await eventually("the unread count cleared", async () => (/ungelesen/.test((await teacherCourseLink.textContent()) ?? "") ? undefined : true));
    // The homeserver has the receipt too: after a reload the count stays at zero.
    await teacherPage.reload();
    await message(teacherPage, firstMessage).waitFor({ timeout: 30_000 });
    await teacherPage.waitForTimeout(1_000);
    assert.doesNotMatch((await roomLink(teacherPage, new RegExp(courseName)).textContent()) ?? "", /ungelesen/);
  });

  it("lets the teacher reply (Escape cancels a reply), and shows the reply with its quote to the student", async () => {
    const original = message(teacherPage, firstMessage);
    await original.hover();
    await original.getByRole("button", { name: "Antworten" }).click();
    await teacherPage.getByText("Antwort an chschueler").waitFor();
    await composer(teacherPage, courseName).press("Escape");
    await teacherPage.getByRole("button", { name: "Antwort abbrechen" }).waitFor({ state: "detached" });

    await original.hover();
    await original.getByRole("button", { name: "Antworten" }).click();
    await composer(teacherPage, courseName).fill(replyText);
    await composer(teacherPage, courseName).press("Enter");
    const reply = message(studentPage, replyText);
    await reply.waitFor({ timeout: 20_000 });
    await reply.getByText("Antwort an chschueler").waitFor();

    const events = await roomMessages(admin, courseId);
    const originalEvent = events.find((e) => e.content.body === firstMessage);
    const replyEvent = events.find((e) => e.content.body === replyText);
    assert.ok(originalEvent !== undefined && replyEvent !== undefined);
    assert.deepEqual(replyEvent.content["m.relates_to"], { "m.in_reply_to": { event_id: originalEvent.event_id } });
  });

  it("shows the teacher typing, lets the student edit and react, and the teacher sees both", async () => {
    await composer(teacherPage, courseName).pressSequentially("Moment", { delay: 30 });
    await studentPage.getByText("chlehrerin schreibt …").waitFor({ timeout: 20_000 });
    await composer(teacherPage, courseName).fill("");
    await composer(teacherPage, courseName).press("Backspace");

    const own = message(studentPage, firstMessage);
    await own.hover();
    await own.getByRole("button", { name: "Bearbeiten" }).click();
    assert.equal(await composer(studentPage, courseName).inputValue(), firstMessage);
    await composer(studentPage, courseName).fill(editedMessage);
    await composer(studentPage, courseName).press("Enter");
    await message(teacherPage, editedMessage).getByText("(bearbeitet)").waitFor({ timeout: 20_000 });

    const reply = message(studentPage, replyText);
    await reply.hover();
    await reply.getByRole("button", { name: "Reagieren" }).click();
    await reply.getByRole("button", { name: "Mit 👍 reagieren" }).click();
    await message(teacherPage, replyText).getByRole("button", { name: "👍 1" }).waitFor({ timeout: 20_000 });
    await reply.getByRole("button", { name: "👍 1", pressed: true }).waitFor();
    // The student's read receipt (on the reaction, which is not shown) appears at the reply.
    await message(teacherPage, replyText).getByText("Gelesen von chschueler").waitFor({ timeout: 20_000 });
    await teacherPage.mouse.move(0, 0);
    await saveScreenshots(teacherPage, "chats-room");

    // Shift+Enter makes a new line, Enter sends.
    await composer(studentPage, courseName).fill("Zeile 1");
    await composer(studentPage, courseName).press("Shift+Enter");
    await composer(studentPage, courseName).pressSequentially("Zeile 2");
    await composer(studentPage, courseName).press("Enter");
    const twoLines = await eventually("the two-line message", async () => (await roomMessages(admin, courseId)).find((e) => e.content.body === "Zeile 1\nZeile 2"));
    assert.equal(twoLines.sender, student.userId);
    await studentPage.getByText("chlehrerin schreibt …").waitFor({ state: "detached", timeout: 20_000 });
  });

  it("uploads an image with visible progress, and the teacher sees it", async () => {
    const cdp = await studentPage.context().newCDPSession(studentPage);
    await cdp.send("Network.enable");
    // About 1 MB at 250 KB/s: a few seconds of progress.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 250 * 1024 });
    try {
      await studentPage.locator('input[type="file"]').setInputFiles({ name: imageName, mimeType: "image/png", buffer: noisePng(600, 560) });
      const progress = studentPage.getByRole("progressbar", { name: /Fortschritt beim Hochladen/ });
      await progress.waitFor({ timeout: 10_000 });
      await studentPage.getByRole("status").filter({ hasText: /Wird hochgeladen: \d+ %/ }).first().waitFor();
      await studentPage.waitForFunction(
        "[...document.querySelectorAll('progress')].some((p) => p.value > 0 && p.value < 100)",
        undefined,
        { timeout: 20_000, polling: 50 },
      );
      await progress.waitFor({ state: "detached", timeout: 60_000 });
    } finally {
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    const image = teacherPage.getByRole("img", { name: `Bild: ${imageName}` });
    await image.waitFor({ timeout: 30_000 });
    await teacherPage.waitForFunction(`[...document.querySelectorAll('li.message img')].some((i) => i.complete && i.naturalWidth > 0)`, undefined, { timeout: 20_000 });
    await message(teacherPage, "tafelbild.png").getByRole("button", { name: /Herunterladen/ }).waitFor();
  });

  it("renders injected scripts in bodies, formatted bodies, file and room names as harmless text", async () => {
    const evilBody = `${injected("body")}<script>${XSS_PROBE}.push('script')</script>`;
    await composer(studentPage, courseName).fill(evilBody);
    await composer(studentPage, courseName).press("Enter");
    await message(teacherPage, "<script>").waitFor({ timeout: 20_000 });
    await admin.client.sendMessage(courseId, {
      msgtype: "m.text",
      body: "fett und ein Link",
      format: "org.matrix.custom.html",
      formatted_body: `<b>fett</b> ${injected("html")}<script>${XSS_PROBE}.push('html-script')</script><a href="javascript:${XSS_PROBE}.push('link')" onclick="${XSS_PROBE}.push('onclick')">Link</a><iframe src="javascript:${XSS_PROBE}.push('iframe')"></iframe>`,
    } as never);
    await admin.client.sendMessage(courseId, { msgtype: "m.notice", body: "Erinnerung: Abgabe morgen" } as never);
    const formatted = message(studentPage, "fett");
    await formatted.locator("b", { hasText: "fett" }).waitFor({ timeout: 20_000 });
    const notice = message(studentPage, "Erinnerung: Abgabe morgen");
    await notice.waitFor({ timeout: 20_000 });
    await notice.getByText("Mitteilung").waitFor();
    // The student was reading the newest messages: the view followed the new ones.
    await studentPage.getByRole("log").evaluate((el) => new Promise((resolve) => setTimeout(resolve, 300, el)));
    const fromEnd = await studentPage.getByRole("log").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(fromEnd < 60, `the timeline stays at its end (${fromEnd} px away)`);
    // The link lost its javascript: target; clicking it runs nothing.
    await formatted.getByText("Link").click();
    for (const page of [teacherPage, studentPage]) {
      assert.deepEqual(await page.evaluate(XSS_PROBE), [], "no injected script ran");
      assert.equal(await page.locator('img[src="x"], iframe, li.message script').count(), 0);
    }
    await saveScreenshots(studentPage, "chats-room-student");
    await assertAccessible(studentPage, "a room (student)");
    await assertAccessible(teacherPage, "a room (teacher)");
  });

  it("starts a direct message from the user directory, and the student accepts the invite", async () => {
    await teacherPage.getByRole("button", { name: "Neue Direktnachricht" }).click();
    await teacherPage.getByLabel("Name oder Benutzername").fill(student.localpart);
    await teacherPage.getByRole("button", { name: new RegExp(student.localpart) }).click({ timeout: 20_000 });
    await teacherPage.getByRole("heading", { name: "chschueler", level: 1 }).waitFor({ timeout: 20_000 });
    await composer(teacherPage, "chschueler").fill("Hallo privat");
    await composer(teacherPage, "chschueler").press("Enter");
    await message(teacherPage, "Hallo privat").waitFor();

    await studentPage.getByRole("heading", { name: "Einladungen" }).waitFor({ timeout: 20_000 });
    await studentPage.getByText("Einladung von chlehrerin").waitFor();
    await studentPage.getByRole("button", { name: "Annehmen" }).click();
    await studentPage.getByRole("heading", { name: "chlehrerin", level: 1 }).waitFor({ timeout: 20_000 });
    await message(studentPage, "Hallo privat").waitFor({ timeout: 20_000 });
    await studentPage.getByRole("heading", { name: "Direktnachrichten" }).waitFor();
    const direct = await teacher.client.getAccountDataFromServer("m.direct" as never);
    assert.ok(Object.keys((direct ?? {}) as object).includes(student.userId), "the teacher's m.direct lists the chat");
  });

  it("loads older history when scrolling up", async () => {
    await studentPage.goto(chatsUrl(archiveId));
    await message(studentPage, "Verlauf 60").waitFor({ timeout: 30_000 });
    const log = studentPage.getByRole("log");
    await eventually(
      "the start of the chat",
      async () => {
        await log.evaluate((el) => {
          el.scrollTop = 0;
          el.dispatchEvent(new Event("scroll"));
        });
        return (await studentPage.getByText("Anfang des Chats").count()) > 0 ? true : undefined;
      },
      30_000,
      300,
    );
    await message(studentPage, /Verlauf 1(?!\d)/).waitFor();
    assert.equal(await studentPage.locator("li.message").filter({ hasText: /Verlauf \d+/ }).count(), 60);
  });

  it("shows an encrypted room as a note, without a composer", async () => {
    await roomLink(studentPage, /Geheimbund/).click();
    await studentPage.getByRole("heading", { name: "Geheimbund", level: 1 }).waitFor();
    await studentPage.getByRole("note").filter({ hasText: "verschlüsselt – bitte in Element öffnen" }).waitFor();
    assert.equal(await composer(studentPage, "Geheimbund").count(), 0);
  });

  it("works in English and dark on a phone, and stays accessible", async () => {
    await studentPage.goto(chatsUrl(courseId));
    await studentPage.getByRole("button", { name: "English", exact: true }).click();
    await studentPage.getByRole("button", { name: "Dark theme", exact: true }).click();
    await studentPage.getByLabel(`Message to ${courseName}`).waitFor();
    await studentPage.getByRole("button", { name: "Reply" }).first().waitFor({ state: "attached" });
    await assertAccessible(studentPage, "a room in English, dark");
    await saveScreenshots(studentPage, "chats-room-en-dark");
    await studentPage.setViewportSize({ width: 375, height: 812 });
    await studentPage.getByRole("link", { name: "All chats" }).click();
    await roomLink(studentPage, new RegExp(courseName)).waitFor();
    await assertAccessible(studentPage, "the chat list on a phone, dark");
    assert.deepEqual(await studentPage.evaluate(XSS_PROBE), []);
  });
});
