// `npm run bench:web`: how heavy the web client is and how fast it gets a person to work, in headless Chromium on
// loopback against a real Synapse: the initial JavaScript and CSS (gzip), the time to an interactive login form, and
// from submitting the login to a rendered room list, for a student in 60 rooms and a teacher in 250.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type Page } from "playwright-core";
import { startWebServer, WEB_DIST } from "@schulhof/web";
import { freePort } from "@schulhof/test";
import { printTable } from "./proc.ts";
import { matrixCall, percentile, startBenchStack } from "./stack.ts";

const STUDENT_ROOMS = Number(process.env.BENCH_STUDENT_ROOMS ?? 60);
const TEACHER_ROOMS = Number(process.env.BENCH_TEACHER_ROOMS ?? 250);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** One entry per room in the chat list (web/src/features/chats). */
const ROOM_ITEM = process.env.BENCH_ROOM_ITEM ?? "[data-chat-link]";
const say = (s: string): void => void process.stderr.write(`${s}\n`);

/** Sizes of what the first page load needs: the entry script, its static imports (modulepreload) and the CSS. */
function initialBundle(): { js: number; css: number; jsGzip: number; cssGzip: number; lazyGzip: number; files: string[] } {
  const html = readFileSync(join(WEB_DIST, "index.html"), "utf8");
  const refs = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? "");
  const size = (f: string): [number, number] => {
    const b = readFileSync(join(WEB_DIST, f));
    return [b.length, gzipSync(b, { level: 9 }).length];
  };
  let js = 0, css = 0, jsGzip = 0, cssGzip = 0;
  for (const f of refs) {
    const [raw, gz] = size(f);
    if (f.endsWith(".js")) [js, jsGzip] = [js + raw, jsGzip + gz];
    else [css, cssGzip] = [css + raw, cssGzip + gz];
  }
  let lazyGzip = 0;
  for (const f of readdirSync(join(WEB_DIST, "assets"))) if (f.endsWith(".js") && !refs.includes(`assets/${f}`)) lazyGzip += size(`assets/${f}`)[1];
  return { js, css, jsGzip, cssGzip, lazyGzip, files: refs };
}

// Setting up 250 rooms as one teacher needs Synapse's room-creation and join limits out of the way, and ten logins of
// the same two accounts within a minute its per-account login limit (which a school keeps against guessing passwords).
const unlimited = { per_second: 1000, burst_count: 1000 };
const stack = await startBenchStack("web", {}, {
  synapseExtra: { rc_room_creation: unlimited, rc_joins: { local: unlimited, remote: unlimited }, rc_message: unlimited, rc_login: { address: unlimited, account: unlimited, failed_attempts: unlimited } },
});
let web: Server | null = null;
let browser: Browser | null = null;
let exit = 0;
try {
  const hs = stack.synapse.url;
  const server = stack.gen.school.homeserver.server_name;
  const call = (token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => matrixCall(hs, token, method, path, body);
  const person = async (localpart: string, password: string): Promise<{ id: string; token: string; localpart: string; password: string }> => {
    const id = `@${localpart}:${server}`;
    await call(stack.adminToken, "PUT", `/_synapse/admin/v2/users/${encodeURIComponent(id)}`, { displayname: localpart, password });
    await call(stack.adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(id)}/override_ratelimit`, { messages_per_second: 0, burst_count: 0 });
    const { access_token } = (await call(stack.adminToken, "POST", `/_synapse/admin/v1/users/${encodeURIComponent(id)}/login`, {})) as { access_token: string };
    return { id, token: access_token, localpart, password };
  };
  const teacher = await person("lehrkraft.bench", "Bench-Passwort-1");
  const student = await person("schueler.bench", "Bench-Passwort-2");
  say(`creating ${TEACHER_ROOMS} rooms with two messages each; the student joins ${STUDENT_ROOMS} …`);
  const rooms: string[] = [];
  for (let i = 0; i < TEACHER_ROOMS; i++) {
    const { room_id } = (await call(teacher.token, "POST", "/_matrix/client/v3/createRoom", { name: `Kurs ${i + 1}`, preset: "public_chat" })) as { room_id: string };
    rooms.push(room_id);
    for (const text of ["Guten Morgen!", `Hausaufgabe für Kurs ${i + 1}: Seite ${i % 200}`]) {
      await call(teacher.token, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room_id)}/send/m.room.message/b${i}-${text.length}`, { msgtype: "m.text", body: text });
    }
    if (i < STUDENT_ROOMS) await call(student.token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(room_id)}`, {});
    if ((i + 1) % 50 === 0) say(`  ${i + 1}/${TEACHER_ROOMS} rooms`);
  }

  // The web server with a .well-known pointing at this Synapse.
  const wellKnown = mkdtempSync(join(tmpdir(), "schulhof-bench-web-"));
  mkdirSync(join(wellKnown, "matrix"), { recursive: true });
  const port = await freePort();
  writeFileSync(join(wellKnown, "matrix", "client"), JSON.stringify({ "m.homeserver": { base_url: hs }, "de.schulhof.school": { name: "Benchmark-Gymnasium", state: "NW", mail_domain: server }, "de.schulhof.api_base_url": `http://127.0.0.1:${port}` }));
  writeFileSync(join(wellKnown, "matrix", "server"), JSON.stringify({ "m.server": `${server}:443` }));
  web = await startWebServer({ bind: "127.0.0.1", port, wellKnownDir: wellKnown });
  const origin = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });

  /** Opens the page in a fresh profile (nothing cached): time until the user name field takes input. */
  const loginForm = async (): Promise<{ ms: number; page: Page; close: () => Promise<void> }> => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${origin}/#/chats`, { waitUntil: "commit" });
    await page.locator("#login-user:enabled").waitFor({ state: "visible", timeout: 30_000 });
    await page.locator("#login-user").fill("x");
    const ms = await page.evaluate(() => performance.now());
    await page.locator("#login-user").fill("");
    return { ms, page, close: () => context.close() };
  };
  const measure = async (who: { localpart: string; password: string }, rooms: number): Promise<{ formMs: number[]; listMs: number[] }> => {
    const formMs: number[] = [];
    const listMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { ms, page, close } = await loginForm();
      formMs.push(ms);
      await page.locator("#login-user").fill(who.localpart);
      await page.locator("#login-password").fill(who.password);
      const t0 = await page.evaluate(() => performance.now());
      await page.locator("button[type=submit]").click();
      if (!page.url().includes("#/chats")) await page.goto(`${origin}/#/chats`, { waitUntil: "commit" }).catch(() => undefined);
      await page
        .waitForFunction(
          ([sel, n]) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(sel).length >= n,
          [ROOM_ITEM, rooms] as const,
          { timeout: 120_000, polling: 50 },
        )
        .catch(async (e: unknown) => {
          await page.screenshot({ path: join(tmpdir(), "bench-web-timeout.png") }).catch(() => undefined);
          throw new Error(`room list: ${await page.locator(ROOM_ITEM).count()} of ${rooms} entries after 120 s at ${page.url()} (screenshot in ${tmpdir()}/bench-web-timeout.png): ${String(e)}`);
        });
      listMs.push((await page.evaluate(() => performance.now())) - t0);
      await close();
    }
    return { formMs, listMs };
  };
  say("measuring the student …");
  const s = await measure(student, STUDENT_ROOMS);
  say("measuring the teacher …");
  const t = await measure(teacher, TEACHER_ROOMS);
  const b = initialBundle();
  const p = (xs: number[], q: number): number => Math.round(percentile([...xs].sort((x, y) => x - y), q));
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  const figures = {
    initial_js_kib: Math.round(b.js / 1024),
    initial_js_gzip_kib: Math.round(b.jsGzip / 1024),
    initial_css_gzip_kib: Math.round(b.cssGzip / 1024),
    initial_total_gzip_kib: Math.round((b.jsGzip + b.cssGzip) / 1024),
    lazy_js_gzip_kib: Math.round(b.lazyGzip / 1024),
    login_form_p50_ms: p([...s.formMs, ...t.formMs], 50),
    login_form_max_ms: Math.round(Math.max(...s.formMs, ...t.formMs)),
    student_rooms: STUDENT_ROOMS,
    student_room_list_p50_ms: p(s.listMs, 50),
    student_room_list_max_ms: Math.round(Math.max(...s.listMs)),
    teacher_rooms: TEACHER_ROOMS,
    teacher_room_list_p50_ms: p(t.listMs, 50),
    teacher_room_list_max_ms: Math.round(Math.max(...t.listMs)),
    runs: RUNS,
  };
  const met = (ok: boolean): string => (ok ? "met" : "MISSED");
  printTable("Web-Client-Benchmark (headless Chromium, loopback, real Synapse on PostgreSQL, fresh browser profile per run)", [
    ["initial JavaScript", `${kb(b.js)} raw, ${kb(b.jsGzip)} gzip (${b.files.filter((f) => f.endsWith(".js")).length} files)`],
    ["initial CSS", `${kb(b.css)} raw, ${kb(b.cssGzip)} gzip`],
    ["loaded later (video, crypto …)", `${kb(b.lazyGzip)} gzip`],
    ["open → login form interactive", `p50 ${figures.login_form_p50_ms} ms, max ${figures.login_form_max_ms} ms (${RUNS * 2} runs)`],
    [`login → room list, student (${STUDENT_ROOMS} rooms)`, `p50 ${figures.student_room_list_p50_ms} ms, max ${figures.student_room_list_max_ms} ms`],
    [`login → room list, teacher (${TEACHER_ROOMS} rooms)`, `p50 ${figures.teacher_room_list_p50_ms} ms, max ${figures.teacher_room_list_max_ms} ms`],
    [
      "targets",
      `bundle < 350 KB gzip: ${met(figures.initial_total_gzip_kib < 350)}; form < 1 s: ${met(figures.login_form_max_ms < 1000)}; room list < 2 s: ${met(figures.teacher_room_list_max_ms < 2000 && figures.student_room_list_max_ms < 2000)}`,
    ],
  ]);
  process.stdout.write(JSON.stringify(figures) + "\n");
  rmSync(wellKnown, { recursive: true, force: true });
} catch (e) {
  say(`bench:web failed: ${String((e as Error).stack ?? e)}`);
  exit = 1;
} finally {
  await browser?.close().catch(() => undefined);
  if (web !== null) {
    web.closeAllConnections();
    await new Promise<void>((r) => web!.close(() => r()));
  }
  await stack.stop();
}
process.exit(exit);
