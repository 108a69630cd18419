// A real Chromium (Debian's) for browser tests: fake camera and microphone, login through the UI, axe-core checks and
// screenshots at phone and desktop size into test-artifacts/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SCREENSHOT_DIR = join(REPO_ROOT, "test-artifacts", "screenshots");
const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** Phone (a small iPhone) and desktop sizes of the screenshots. */
export const VIEWPORTS = {
  phone: { width: 375, height: 812 },
  desktop: { width: 1280, height: 800 },
} as const;

/** Launches headless Chromium with a fake camera (test pattern) and microphone (beep), no permission prompts. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SCHULHOF_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--disable-dev-shm-usage"],
  });
}

/** A browser context of its own (separate storage: one person) with one page at desktop size. */
export async function newPersonPage(browser: Browser, label: string, origin: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: "de-DE" });
  await context.grantPermissions(["camera", "microphone"], { origin });
  const page = await context.newPage();
  // What goes wrong in the page shows up in the test's output.
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") process.stderr.write(`[${label} ${message.type()}] ${message.text()}\n`);
  });
  page.on("pageerror", (error) => process.stderr.write(`[${label} pageerror] ${error.message}\n`));
  return { context, page };
}

/** Opens the client and logs in through the form with user name and password; resolves when the navigation shows. */
export async function loginThroughUi(page: Page, webUrl: string, user: { localpart: string; password: string }): Promise<void> {
  await page.goto(webUrl);
  await page.getByLabel("Benutzername").fill(user.localpart);
  await page.getByLabel("Passwort").fill(user.password);
  await page.getByRole("button", { name: "Anmelden", exact: true }).click();
  await page.getByRole("navigation", { name: "Hauptnavigation" }).waitFor({ timeout: 30_000 });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Runs axe-core on the page as it is; fails on serious and critical violations, naming rule and elements. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate("typeof globalThis.axe !== 'undefined'"))) await page.addScriptTag({ path: AXE_PATH });
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: AxeViolation[] };
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad.map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`).join("\n");
  assert.equal(bad.length, 0, `axe found serious or critical problems on ${what}:\n${report}`);
}

/**
 * Saves `<name>-phone.png` (375×812) and `<name>-desktop.png` (1280×800) in test-artifacts/screenshots/, then puts
 * the page back at its size.
 */
export async function saveScreenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const [kind, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // Let the layout settle (media queries, video tiles).
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${kind}.png`) });
  }
  if (before !== null) await page.setViewportSize(before);
}

/** Waits until a remote participant's <video> shows frames (videoWidth > 0). */
export async function waitForRemoteVideo(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    "[...document.querySelectorAll('li.tile[data-local=\"false\"] video')].some((v) => v.videoWidth > 0)",
    undefined,
    { timeout: timeoutMs },
  );
}
