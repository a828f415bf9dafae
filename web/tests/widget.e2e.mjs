// Browser test of the help page and its chat widget (headless Debian Chromium via playwright-core).
//
//   node web/tests/widget.e2e.mjs --page http://127.0.0.1:8080 --user lina --password Demo@2026 \
//        [--mode full|basic] [--screenshot docs/widget.png] [--failshot /tmp/failed.png]
//        [--phone-screenshot FILE] [--chromium /usr/bin/chromium] [--timeout MS]
//
// basic: log in, open the widget, exchange one message with whatever bot is running.
// full:  log in as lina, complete "给孩子停保" (choose 李小明, confirm, serial number), print the
//        insurance certificate (a PDF link the backend serves), ask one FAQ question.
// Always: no request leaves the machine, the transcript is in sessionStorage (not localStorage),
// it survives a reload, phone width has no horizontal overflow, logging out clears it.
// Prints one JSON line {"ok": bool, "steps": [...], "error": ...} and exits 0 only when ok.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

function args(argv) {
  const out = { mode: "basic", user: "lina", password: "Demo@2026", chromium: "/usr/bin/chromium", timeout: 30000 };
  for (let i = 2; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  out.timeout = Number(out.timeout);
  return out;
}
const opt = args(process.argv);
if (!opt.page) { console.error("usage: widget.e2e.mjs --page URL [...]"); process.exit(2); }

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const steps = [];
const outside = [];
const consoleErrors = [];
const step = (name, detail) => { steps.push(detail === undefined ? name : `${name}: ${detail}`); };

const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let ok = false, error = null;
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "zh-CN", acceptDownloads: true });
context.on("request", (req) => {
  const url = new URL(req.url());
  if ((url.protocol === "http:" || url.protocol === "https:" || url.protocol === "ws:" || url.protocol === "wss:")
      && !LOCAL_HOSTS.has(url.hostname)) outside.push(req.url());
});
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.setDefaultTimeout(opt.timeout);

const botRows = () => page.locator('.szw-row[data-from="bot"]');
async function botCount() { return await botRows().count(); }

// Wait until a new bot message after `before` arrives whose text matches `re` (or any when re is null).
async function waitBot(before, re, what) {
  const deadline = Date.now() + opt.timeout;
  while (Date.now() < deadline) {
    const n = await botCount();
    for (let i = before; i < n; i++) {
      const text = await botRows().nth(i).innerText();
      if (!re || re.test(text)) return { index: i, text };
    }
    await page.waitForTimeout(150);
  }
  const all = await page.locator(".szw-log").innerText();
  throw new Error(`no bot reply matching ${re} (${what}); transcript:\n${all.slice(-1500)}`);
}

async function send(text) {
  const before = await botCount();
  await page.fill(".szw-input", text);
  await page.press(".szw-input", "Enter");
  await page.locator(".szw-row[data-from=user]").filter({ hasText: text }).last().waitFor();
  return before;
}

// Click a button with this exact title in the latest bot message that offers it.
async function clickButton(title) {
  const before = await botCount();
  const button = page.locator(".szw-button:not([disabled])", { hasText: title }).last();
  await button.click();
  await page.locator(".szw-row[data-from=user]").filter({ hasText: title }).last().waitFor();
  return before;
}

try {
  const resp = await page.goto(opt.page, { waitUntil: "load" });
  if (!resp || !resp.ok()) throw new Error(`page answered ${resp && resp.status()}`);
  const csp = resp.headers()["content-security-policy"] || "";
  if (!csp.includes("default-src 'self'")) throw new Error("no Content-Security-Policy on the page");
  step("page loaded", await page.title());

  // wrong password: the backend's message is shown, nothing stored
  await page.fill("#login-username", opt.user);
  await page.fill("#login-password", "wrong-password");
  await page.click("#login-submit");
  await page.locator("#login-message.bad").waitFor();
  step("wrong password refused", await page.locator("#login-message").innerText());

  await page.fill("#login-password", opt.password);
  await page.click("#login-submit");
  await page.locator("#account-info:not([hidden])").waitFor();
  const name = await page.locator("#account-name").innerText();
  step("logged in", name);
  await page.locator(".szw-panel:not([hidden])").waitFor();
  await page.locator(".szw-banner[hidden]").waitFor({ state: "attached" });
  step("widget open and connected");

  if (opt.mode === "full") {
    // 1. an item: stop the child's insurance
    let before = await send("给孩子停保");
    let r = await waitBot(before, /李小明/, "which child");
    step("asked which child", r.text.replace(/\s+/g, " ").slice(0, 80));
    before = await clickButton("李小明");
    r = await waitBot(before, /确认/, "confirmation summary");
    step("summary", r.text.replace(/\s+/g, " ").slice(0, 120));
    if (!/李小明/.test(r.text)) throw new Error("the summary does not name 李小明");
    before = await clickButton("确认");
    r = await waitBot(before, /流水号/, "outcome with serial number");
    const serial = (/流水号[：:]\s*(\S+)/.exec(r.text) || [])[1];
    step("completed", `serial ${serial}`);

    // 2. a PDF link from the backend: the certificate
    before = await send("打印参保证明");
    r = await waitBot(before, /参保证明|证明/, "certificate");
    const link = botRows().nth(r.index).locator("a.szw-pdf");
    await link.first().waitFor();
    const href = await link.first().getAttribute("href");
    const target = await link.first().getAttribute("target");
    const pdf = await context.request.get(href);
    const body = await pdf.body();
    if (!pdf.ok() || !body.subarray(0, 4).equals(Buffer.from("%PDF"))) throw new Error(`PDF link ${href} answered ${pdf.status()}`);
    if (target !== "_blank") throw new Error("PDF link does not open in a new tab");
    step("certificate PDF link", `${new URL(href).pathname} (${body.length} bytes, ${pdf.headers()["content-type"]})`);

    // 3. a question
    before = await send("每天什么时候可以缴费？");
    r = await waitBot(before, /\d{1,2}[:：点]|时间|工作日/, "FAQ answer");
    step("FAQ answered", r.text.replace(/\s+/g, " ").slice(0, 100));
  } else {
    const before = await send("你好");
    const r = await waitBot(before, null, "any reply");
    step("bot replied", r.text.replace(/\s+/g, " ").slice(0, 100));
  }

  // storage: this tab only
  const storage = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    transcript: JSON.parse(sessionStorage.getItem("sz-widget:transcript") || "[]").length,
  }));
  if (storage.local.length) throw new Error(`localStorage used: ${storage.local}`);
  if (!storage.transcript) throw new Error("no transcript in sessionStorage");
  step("sessionStorage only", `${storage.transcript} entries`);

  if (opt.screenshot) {
    mkdirSync(dirname(opt.screenshot), { recursive: true });
    await page.waitForTimeout(300);
    await page.screenshot({ path: opt.screenshot });
    step("screenshot", opt.screenshot);
  }

  // reload: still logged in, same transcript
  const countBefore = await page.locator(".szw-row").count();
  await page.reload({ waitUntil: "load" });
  await page.locator("#account-info:not([hidden])").waitFor();
  await page.locator(".szw-panel:not([hidden])").waitFor();
  const countAfter = await page.locator(".szw-row").count();
  if (countAfter < countBefore) throw new Error(`transcript lost on reload (${countBefore} -> ${countAfter})`);
  step("reload keeps log-in and transcript", `${countAfter} rows`);

  // phone width: the panel fills the screen, nothing overflows sideways, buttons are usable
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const phone = await page.evaluate(() => {
    const p = document.querySelector(".szw-panel").getBoundingClientRect();
    const log = document.querySelector(".szw-log");
    return { w: p.width, h: p.height, overflow: document.documentElement.scrollWidth - window.innerWidth,
             logOverflow: log.scrollWidth - log.clientWidth };
  });
  if (phone.w < 380 || phone.overflow > 0 || phone.logOverflow > 0) throw new Error(`phone layout: ${JSON.stringify(phone)}`);
  if (opt["phone-screenshot"]) await page.screenshot({ path: opt["phone-screenshot"] });
  step("phone layout", `${phone.w}x${phone.h}`);
  await page.setViewportSize({ width: 1280, height: 860 });

  // log out: the transcript is cleared
  await page.click("#logout");
  await page.locator("#login-form:not([hidden])").waitFor();
  const left = await page.evaluate(() => JSON.parse(sessionStorage.getItem("sz-widget:transcript") || "[]")
    .filter((e) => e.from !== "system").length);
  if (left) throw new Error(`transcript kept after log-out (${left})`);
  step("log-out clears the transcript");

  const cspErrors = consoleErrors.filter((e) => /Content Security Policy|Refused to/.test(e));
  if (cspErrors.length) throw new Error(`CSP violations: ${cspErrors.join(" | ")}`);
  if (outside.length) throw new Error(`requests left the machine: ${outside.join(", ")}`);
  step("no request left the machine");
  ok = true;
} catch (e) {
  error = String(e && e.stack || e);
  if (opt.failshot) {
    try { await page.screenshot({ path: opt.failshot }); } catch { /* ignore */ }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ok, steps, error, outside, consoleErrors }));
process.exit(ok ? 0 : 1);
