// Browser test of the window console (headless Debian Chromium via playwright-core).
//
//   node web/tests/console.e2e.mjs --page http://127.0.0.1:8000/console --number YS2026000012347 \
//        [--user clerk01] [--password Demo@2026] [--action finish|return] [--screenshot FILE]
//        [--chromium /usr/bin/chromium] [--timeout MS]
//
// Logs in as the clerk, finds the pre-application by its number, ticks every material, records
// them as received, then finishes it (or returns it with a reason). A wrong password first shows
// the backend's message. No request may leave the machine.
// Prints one JSON line {"ok": bool, "serial_no": ..., "status": ..., "steps": [...], "error": ...}.
import { chromium } from "playwright-core";

function args(argv) {
  const out = { user: "clerk01", password: "Demo@2026", action: "finish", chromium: "/usr/bin/chromium", timeout: 20000 };
  for (let i = 2; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  out.timeout = Number(out.timeout);
  return out;
}
const opt = args(process.argv);
if (!opt.page || !opt.number) { console.error("usage: console.e2e.mjs --page URL --number YS..."); process.exit(2); }

const LOCAL = new Set(["127.0.0.1", "localhost"]);
const steps = [], outside = [], consoleErrors = [];
const browser = await chromium.launch({ executablePath: opt.chromium, headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
let ok = false, error = null, serial = null, status = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  context.on("request", (req) => { const u = new URL(req.url()); if (!LOCAL.has(u.hostname) && u.protocol !== "data:") outside.push(req.url()); });
  const page = await context.newPage();
  page.setDefaultTimeout(opt.timeout);
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  await page.goto(opt.page);

  await page.fill("#username", opt.user);
  await page.fill("#password", "not-the-password");
  await page.click("#login");
  await page.waitForFunction(() => document.getElementById("message").textContent.includes("用户名或密码不正确"));
  steps.push("wrong password refused");
  consoleErrors.length = 0;  // the 401 of the refused log-in is logged by the browser

  await page.fill("#password", opt.password);
  await page.click("#login");
  await page.waitForSelector("#work:not([hidden])");
  await page.waitForFunction(() => document.getElementById("who-name").textContent.length > 0);
  steps.push("logged in as " + (await page.textContent("#who-name")));

  await page.fill("#query", opt.number.toLowerCase());
  await page.click("#search");
  await page.waitForSelector("#detail:not([hidden])");
  await page.waitForFunction((n) => document.getElementById("d-number").textContent === n, opt.number);
  steps.push("found " + opt.number + ": " + (await page.textContent("#d-item")));

  const boxes = await page.$$("#d-materials input[type=checkbox]");
  for (const b of boxes) await b.check();
  await page.click("#receive");
  await page.waitForFunction(() => document.getElementById("d-status").dataset.status === "processing");
  steps.push(`received ${boxes.length} materials`);

  if (opt.action === "return") {
    await page.fill("#return-reason", "户口簿未载明入户时间");
    await page.fill("#return-bring", "派出所出具的入户时间证明");
    await page.click("#return");
    await page.waitForFunction(() => document.getElementById("d-status").dataset.status === "returned");
  } else {
    await page.click("#finish");
    await page.waitForFunction(() => document.getElementById("d-status").dataset.status === "completed");
    serial = (await page.textContent("#d-serial")).replace("业务流水号", "").trim();
  }
  status = await page.getAttribute("#d-status", "data-status");
  steps.push("status " + status + (serial ? " serial " + serial : ""));
  const history = await page.$$eval("#d-history li", (lis) => lis.map((li) => li.textContent));
  steps.push("history: " + history.join(" | "));
  if (opt.screenshot) await page.screenshot({ path: opt.screenshot, fullPage: true });

  await page.click("#logout");
  await page.waitForSelector("#login-panel:not([hidden])");
  if (await page.evaluate(() => sessionStorage.getItem("staff_token")) !== null) throw new Error("token kept after log-out");
  steps.push("logged out");
  if (outside.length) throw new Error("requests left the machine: " + outside.join(", "));
  if (consoleErrors.length) throw new Error("console errors: " + consoleErrors.join(" | "));
  ok = true;
} catch (e) {
  error = String(e && e.message || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ok, serial_no: serial, status, steps, error }));
process.exit(ok ? 0 : 1);
