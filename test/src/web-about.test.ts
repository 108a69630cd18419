// The web client's "Über Schulhof / About" footer in a real Chromium: on the login page and in the signed-in shell it
// names the licence, links the source of the running version (with the commit it was built from) and the third-party
// notices; the links are reached with the keyboard, what they point to is served, and axe finds nothing serious.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { assertAccessible, launchBrowser, loginThroughUi, newPersonPage } from "./harness/browser.ts";
import { testEnv } from "./harness/env.ts";
import { newUser } from "./harness/users.ts";

/** Presses Tab from the top of the page until `target` has the focus; answers how many presses it took. */
async function tabTo(page: Page, target: Locator, max = 120): Promise<number> {
  await page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()");
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press("Tab");
    const focusedHref = (await page.evaluate("document.activeElement?.getAttribute('href') ?? null")) as string | null;
    const focusedText = (await page.evaluate("document.activeElement?.textContent ?? null")) as string | null;
    if (focusedHref !== null && focusedHref === (await target.getAttribute("href")) && focusedText === (await target.textContent())) return presses;
  }
  throw new Error(`not reached with ${max} presses of Tab`);
}

describe("web client: about footer (licence and source)", { concurrency: false }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const web = (): string => testEnv().webUrl;
  const footer = (page: Page, name = "Über Schulhof"): Locator => page.getByRole("contentinfo", { name }).or(page.locator(`footer[aria-label="${name}"]`)).first();

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });

  async function checkLinks(page: Page, scope: Locator): Promise<void> {
    const license = scope.getByRole("link", { name: "GNU AGPL 3.0" });
    const source = scope.getByRole("link", { name: /^(Quelltext|Source code)$/ });
    const notices = scope.getByRole("link", { name: /^(Lizenzen Dritter|Third-party licences)$/ });
    for (const link of [license, source, notices]) await link.waitFor({ timeout: 30_000 });
    // What they point to is there.
    const get = async (link: Locator): Promise<Response> => {
      const href = await link.getAttribute("href");
      assert.ok(href !== null);
      const response = await fetch(new URL(href, page.url()));
      assert.equal(response.status, 200, `${href} is served`);
      return response;
    };
    assert.match(await (await get(license)).text(), /GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3, 19 November 2007/);
    const noticesText = await (await get(notices)).text();
    assert.match(noticesText, /^- svelte [\d.]+: MIT$/m);
    assert.match(noticesText, /^- matrix-js-sdk [\d.]+: Apache-2\.0$/m);
    // The source of exactly the running version: its commit is shown, and the archive holds that commit's tree.
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const shown = (await scope.locator("code").first().getAttribute("title")) ?? "";
    assert.match(shown, /^[0-9a-f]{40}$/, "the footer shows the commit the client was built from");
    const sourceHref = (await source.getAttribute("href")) ?? "";
    if (sourceHref.startsWith("/source/")) {
      assert.equal(sourceHref, `/source/schulhof-${shown.slice(0, 12)}.tar.gz`);
      const tar = gunzipSync(Buffer.from(await (await get(source)).arrayBuffer()));
      assert.ok(tar.includes(Buffer.from(`schulhof-${shown.slice(0, 12)}/package.json`)), "the archive holds the source tree");
      assert.ok(tar.includes(Buffer.from("AGPL-3.0-or-later")), "with the licence in package.json");
    }
    if (shown !== commit) process.stderr.write(`note: web/dist was built from ${shown}, the checkout is at ${commit}\n`);
    // Reached with the keyboard.
    const presses = await tabTo(page, source);
    assert.ok(presses > 0);
    await tabTo(page, notices);
  }

  it("on the login page: licence, source of this version and notices, reached with Tab, axe clean", async () => {
    const { context, page } = await newPersonPage(browser, "about-login", web());
    contexts.push(context);
    await page.goto(web());
    await page.getByLabel("Benutzername").waitFor({ timeout: 30_000 });
    const about = footer(page);
    await about.waitFor({ timeout: 30_000 });
    assert.match(await about.innerText(), /Schulhof ist freie Software unter der\s+GNU AGPL 3\.0/);
    await checkLinks(page, about);
    await assertAccessible(page, "the login page with its about footer");
  });

  it("in English", async () => {
    const { context, page } = await newPersonPage(browser, "about-en", web());
    contexts.push(context);
    await context.addInitScript("localStorage.setItem('schulhof.locale', JSON.stringify('en'))");
    await page.goto(web());
    const about = footer(page, "About Schulhof");
    await about.waitFor({ timeout: 30_000 });
    assert.match(await about.innerText(), /Schulhof is free software under the\s+GNU AGPL 3\.0/);
    await about.getByRole("link", { name: "Source code" }).waitFor();
    await about.getByRole("link", { name: "Third-party licences" }).waitFor();
    await assertAccessible(page, "the login page in English");
  });

  it("signed in: the footer is in the shell, reached with Tab, axe clean", async () => {
    const person = await newUser("aboutschueler", { unthrottled: true });
    const { context, page } = await newPersonPage(browser, "about-shell", web());
    contexts.push(context);
    await loginThroughUi(page, web(), person);
    const about = footer(page);
    await about.waitFor({ timeout: 30_000 });
    await checkLinks(page, about);
    await assertAccessible(page, "the signed-in shell with its about footer");
  });
});
