// The web client in a real Chromium: a teacher and a student log in through the UI, meet in a room's video lesson
// (real Synapse, token service and livekit-server), see each other's video, and the teacher mutes and removes the student.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage, saveScreenshots, waitForRemoteVideo } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { eventually, newUser, type TestUser } from "./harness/users.ts";

/** The MatrixRTC membership event of MSC3401, which the client writes while in a call. */
const CALL_MEMBER_EVENT = "org.matrix.msc3401.call.member";

describe("web client: a video lesson in the browser", { concurrency: false }, () => {
  let browser: Browser;
  let admin: TestUser;
  let teacher: TestUser;
  let student: TestUser;
  let roomId: string;
  const roomName = "Mathe 7b";
  const contexts: BrowserContext[] = [];
  let teacherPage: Page;
  let studentPage: Page;

  const web = (): string => testEnv().webUrl;
  const callUrl = (): string => `${web()}/#/call/${encodeURIComponent(roomId)}`;

  before(async () => {
    const unthrottled = { unthrottled: true };
    const [a, t, s] = await Promise.all([newUser("wadmin", unthrottled), newUser("wlehrerin", unthrottled), newUser("wschueler", unthrottled)]);
    admin = a;
    teacher = t;
    student = s;
    // A course room as the school provisions it: the teacher at 50, everyone may announce their call membership.
    roomId = (
      await admin.client.createRoom({
        name: roomName,
        power_level_content_override: { users: { [teacher.userId]: 50 }, events: { [CALL_MEMBER_EVENT]: 0 } },
      })
    ).room_id;
    for (const person of [teacher, student]) {
      await admin.client.invite(roomId, person.userId);
      await person.client.joinRoom(roomId);
    }
    browser = await launchBrowser();
    for (const [person, label] of [[teacher, "teacher"], [student, "student"]] as const) {
      const { context, page } = await newPersonPage(browser, label, new URL(web()).origin);
      contexts.push(context);
      if (person === teacher) teacherPage = page;
      else studentPage = page;
    }
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
  });

  it("shows an accessible login page, and refuses a wrong password in German", async () => {
    await teacherPage.goto(web());
    await teacherPage.getByRole("heading", { name: "Anmelden" }).waitFor();
    assert.equal(await teacherPage.getAttribute("html", "lang"), "de");
    await assertAccessible(teacherPage, "the login page");
    await saveScreenshots(teacherPage, "login");
    await teacherPage.getByLabel("Benutzername").fill(teacher.localpart);
    await teacherPage.getByLabel("Passwort").fill("falsch");
    await teacherPage.getByRole("button", { name: "Anmelden", exact: true }).click();
    await teacherPage.getByRole("alert").filter({ hasText: "Benutzername oder Passwort ist falsch." }).waitFor();
  });

  it("logs both in and lists the course room on the video page", async () => {
    await loginThroughUi(teacherPage, web(), teacher);
    await loginThroughUi(studentPage, web(), student);
    await teacherPage.getByRole("link", { name: "Video", exact: true }).click();
    await teacherPage.getByRole("heading", { name: "Video", exact: true }).waitFor();
    await teacherPage.getByRole("link", { name: roomName }).waitFor({ timeout: 30_000 });
    await assertAccessible(teacherPage, "the video list");
    await saveScreenshots(teacherPage, "video-list");
  });

  it("lets teacher and student join the call and see each other's video", async () => {
    await teacherPage.goto(callUrl());
    await teacherPage.getByRole("heading", { name: roomName }).waitFor({ timeout: 30_000 });
    await teacherPage.getByRole("button", { name: "Beitreten", exact: true }).click();
    await teacherPage.getByRole("heading", { name: "Steuerung der Stunde" }).waitFor({ timeout: 30_000 });

    // The student sees from the room's MatrixRTC memberships who is in the lesson before joining.
    await studentPage.goto(callUrl());
    await studentPage.getByText(/^Gerade in der Stunde: .*wlehrerin/).waitFor({ timeout: 30_000 });
    await studentPage.getByRole("button", { name: "Beitreten", exact: true }).click();

    await waitForRemoteVideo(teacherPage);
    await waitForRemoteVideo(studentPage);
    // Students get no moderation panel.
    assert.equal(await studentPage.getByRole("heading", { name: "Steuerung der Stunde" }).count(), 0);
    await assertAccessible(teacherPage, "the call page (teacher)");
    await assertAccessible(studentPage, "the call page (student)");
    await saveScreenshots(teacherPage, "call");
    await saveScreenshots(studentPage, "call-student");
  });

  it("shows the student that the teacher muted them", async () => {
    await teacherPage.getByRole("button", { name: "Stummschalten: wschueler", exact: true }).click();
    await studentPage.getByText("Die Lehrkraft hat dein Mikrofon stummgeschaltet.").waitFor({ timeout: 20_000 });
    await studentPage.getByRole("button", { name: "Mikrofon an" }).waitFor();
  });

  it("shows the student that the teacher removed them", async () => {
    await teacherPage.getByRole("button", { name: "Entfernen: wschueler", exact: true }).click();
    await studentPage.getByText("Du wurdest aus der Stunde entfernt.").waitFor({ timeout: 20_000 });
    await teacherPage.getByText("Noch niemand da.").waitFor({ timeout: 20_000 });
  });

  it("keeps the student in the lobby until the teacher lets them in, then connects them with a fresh token", async () => {
    await admin.client.sendStateEvent(roomId, "de.schulhof.video.settings" as never, { lobby: true } as never, "");
    // The token service reads the setting through the school; wait until it answers with a waiting role.
    await eventually("a waiting token for the student", async () => ((await studentRole()) === "waiting" ? true : undefined), 30_000, 500);
    await studentPage.getByRole("button", { name: "Erneut beitreten", exact: true }).click();
    await studentPage.getByText("Bitte warten, die Lehrkraft lässt dich gleich herein.").waitFor({ timeout: 20_000 });
    await assertAccessible(studentPage, "the lobby");
    await saveScreenshots(studentPage, "call-lobby");
    await teacherPage.getByRole("button", { name: "Einlassen: wschueler", exact: true }).click({ timeout: 20_000 });
    await waitForRemoteVideo(studentPage);
    await waitForRemoteVideo(teacherPage);
    await studentPage.getByRole("button", { name: "Verlassen", exact: true }).click();
    await teacherPage.getByRole("button", { name: "Verlassen", exact: true }).click();
    await teacherPage.getByRole("button", { name: "Beitreten", exact: true }).waitFor();
    // Leaving withdraws the call memberships, so other clients no longer see a call.
    const members = await eventually("no call members left", async () => {
      const state = (await admin.client.roomState(roomId)) as unknown as { type: string; state_key: string; content: Record<string, unknown> }[];
      const active = state.filter((e) => e.type === CALL_MEMBER_EVENT && Object.keys(e.content).length > 0);
      return active.length === 0 ? active : undefined;
    }, 20_000, 500).catch(async (e: unknown) => {
      const state = (await admin.client.roomState(roomId)) as unknown as { type: string; state_key: string; content: Record<string, unknown> }[];
      throw new Error(`${String(e)}: ${JSON.stringify(state.filter((x) => x.type === CALL_MEMBER_EVENT))}`);
    });
    assert.deepEqual(members, []);
  });

  it("switches to English and the dark theme, remembers both, and stays accessible", async () => {
    await studentPage.goto(`${web()}/#/video`);
    await studentPage.getByRole("button", { name: "English", exact: true }).click();
    await studentPage.getByRole("button", { name: "Dark theme", exact: true }).click();
    await studentPage.reload();
    await studentPage.getByRole("heading", { name: "Video", exact: true }).waitFor({ timeout: 30_000 });
    await studentPage.getByRole("link", { name: "Homework", exact: true }).waitFor();
    assert.equal(await studentPage.getAttribute("html", "lang"), "en");
    assert.equal(await studentPage.getAttribute("html", "data-theme"), "dark");
    // Everybody left: the list no longer marks the lesson as running (once the leave events have reached this client's sync).
    await studentPage.getByText("Lesson running").waitFor({ state: "detached", timeout: 30_000 });
    assert.equal(await studentPage.getByText("Lesson running").count(), 0);
    await assertAccessible(studentPage, "the video list in English, dark");
    await saveScreenshots(studentPage, "video-list-en-dark");
  });

  /** The role the token service would give the student now (asked directly, with a probe member id). */
  async function studentRole(): Promise<string | undefined> {
    const env = testEnv();
    const openid = await (
      await fetch(`${env.synapseUrl}/_matrix/client/v3/user/${encodeURIComponent(student.userId)}/openid/request_token`, {
        method: "POST",
        headers: { authorization: `Bearer ${student.accessToken}`, "content-type": "application/json" },
        body: "{}",
      })
    ).json();
    const res = await fetch(`${env.videoUrl}/get_token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ room_id: roomId, slot_id: "m.call#ROOM", openid_token: openid, member: { id: "probe", claimed_user_id: student.userId, claimed_device_id: "PROBE" } }),
    });
    const { jwt } = (await res.json()) as { jwt?: string };
    if (jwt === undefined) return undefined;
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { metadata?: string };
    return (JSON.parse(claims.metadata ?? "{}") as { role?: string }).role;
  }
});
