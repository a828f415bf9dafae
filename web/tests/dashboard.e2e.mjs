// Browser check of the analytics dashboard (headless Debian Chromium via playwright-core).
//
//   node web/tests/dashboard.e2e.mjs --page http://127.0.0.1:8000/dashboard --item enroll_child_first_time \
//        [--user super01] [--password Demo@2026] [--screenshot FILE] [--chromium /usr/bin/chromium]
//
// Logs in as a supervisor, waits for the item's row, reads the figures and the export.
// Prints one JSON line {"ok", "sessions", "containment", "item", "export", "error"}.
import { chromium } from "playwright-core";

const opt = { user: "super01", password: "Demo@2026", chromium: "/usr/bin/chromium", timeout: 20000 };
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const browser = await chromium.launch({ executablePath: opt.chromium, headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
const out = { ok: false };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(Number(opt.timeout));
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(opt.page);
  await page.fill("#username", opt.user);
  await page.fill("#password", opt.password);
  await page.click("#login");
  await page.waitForSelector("#board:not([hidden])");
  await page.selectOption("#days", "366");
  await page.waitForSelector(`.item-row[data-item="${opt.item}"]`);
  out.sessions = await page.textContent("#k-sessions");
  out.containment = await page.textContent("#k-containment");
  out.item = await page.textContent(`.item-row[data-item="${opt.item}"] .name`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
  out.export = (await download.suggestedFilename());
  if (opt.screenshot) await page.screenshot({ path: opt.screenshot, fullPage: true });
  if (errors.length) throw new Error("console errors: " + errors.join(" | "));
  out.ok = true;
} catch (e) {
  out.error = String(e && e.message || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
