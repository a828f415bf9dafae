// Browser test of the widget's own behaviour (headless Debian Chromium via playwright-core):
//
//   node web/tests/widget_behaviour.e2e.mjs --page URL [--chromium /usr/bin/chromium] [--timeout MS]
//
// The page's Socket.IO peer is the real channel (bot.channels.web) with a scripted bot
// (tests/bot/test_widget_browser.py starts both), so the replies are known:
//  1. superseded quick replies are disabled: after a second confirmation only one 确认 is live,
//     also after a reload; after choosing, none;
//  2. no reply within the page's replyWaitMs: a visible "no answer" with a retry that re-sends;
//  3. the widget's labels follow the conversation's language (English, then Chinese again).
// Prints one JSON line {"ok": bool, "steps": [...], "error": ...} and exits 0 only when ok.
import { chromium } from "playwright-core";

function args(argv) {
  const out = { chromium: "/usr/bin/chromium", timeout: 20000 };
  for (let i = 2; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  out.timeout = Number(out.timeout);
  return out;
}
const opt = args(process.argv);
if (!opt.page) { console.error("usage: widget_behaviour.e2e.mjs --page URL [...]"); process.exit(2); }

const steps = [];
const consoleErrors = [];
const step = (name, detail) => { steps.push(detail === undefined ? name : `${name}: ${detail}`); };
const check = (cond, message) => { if (!cond) throw new Error(message); };

const browser = await chromium.launch({
  executablePath: opt.chromium, headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let ok = false, error = null;
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "zh-CN" });
const page = await context.newPage();
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.setDefaultTimeout(opt.timeout);

const botRows = () => page.locator('.szw-row[data-from="bot"]');
async function waitBot(before, re, what) {
  const deadline = Date.now() + opt.timeout;
  while (Date.now() < deadline) {
    const n = await botRows().count();
    for (let i = before; i < n; i++) {
      const text = await botRows().nth(i).innerText();
      if (re.test(text)) return text;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`no bot reply matching ${re} (${what})`);
}
async function send(text) {
  const before = await botRows().count();
  await page.fill(".szw-input", text);
  await page.press(".szw-input", "Enter");
  return before;
}
const live = (title) => page.locator(".szw-button:not([disabled])", { hasText: title });
async function labels() {
  return {
    placeholder: await page.getAttribute(".szw-input", "placeholder"),
    send: (await page.locator(".szw-send").innerText()).trim(),
    title: (await page.locator(".szw-title").innerText()).trim(),
    launcher: await page.getAttribute(".szw-launcher", "aria-label"),
    close: await page.getAttribute(".szw-close", "aria-label"),
  };
}
async function openWidget() {
  if (await page.locator(".szw-panel[hidden]").count()) await page.click(".szw-launcher");
  await page.locator(".szw-panel:not([hidden])").waitFor();
  await page.locator(".szw-banner[hidden]").waitFor({ state: "attached" });
}

try {
  await page.goto(opt.page, { waitUntil: "load" });
  await openWidget();
  step("widget open and connected");

  // 1. superseded quick replies
  let before = await send("给孩子停保");
  await waitBot(before, /请确认/, "first confirmation");
  check(await live("确认").count() === 1, "one live 确认 after the first confirmation");
  before = await send("我要再办一次");
  await waitBot(before, /请再次确认/, "second confirmation");
  const liveConfirm = await live("确认").count(), liveCancel = await live("取消").count();
  const stale = await page.locator(".szw-button.szw-superseded").count();
  check(liveConfirm === 1 && liveCancel === 1, `live 确认/取消 after a second confirmation: ${liveConfirm}/${liveCancel}`);
  check(stale === 2, `superseded buttons marked: ${stale}`);
  const lastGroupLive = await page.locator(".szw-row").last().locator(".szw-button:not([disabled])").count();
  check(lastGroupLive === 2, "the live pair is the latest one");
  step("second confirmation supersedes the first", `live 确认 ${liveConfirm}, stale ${stale}`);
  await page.reload({ waitUntil: "load" });
  await openWidget();
  check(await live("确认").count() === 1, "after a reload still one live 确认");
  step("after reload", "one live 确认");
  before = await botRows().count();
  await live("确认").click();
  await waitBot(before, /已办结/, "outcome");
  check(await page.locator(".szw-button:not([disabled])").count() === 0, "no live button after choosing");
  step("chosen", "no live buttons left");

  // 2. no answer: a visible note with a retry
  before = await send("这句没有回复");
  const note = page.locator(".szw-noanswer").last();
  await note.waitFor({ state: "visible" });
  const noteText = await note.innerText();
  check(/暂时没有收到回复/.test(noteText) && /重试/.test(noteText), `no-answer note: ${noteText}`);
  check(await page.locator(".szw-typing").isHidden(), "typing indicator gone after the wait");
  step("no answer shown", noteText.replace(/\s+/g, " "));
  await note.locator(".szw-retry").click();
  await waitBot(before, /这次收到了/, "reply to the retry");
  check(await note.locator(".szw-retry").isDisabled(), "retry disabled once answered");
  step("retry re-sent and answered");

  // 3. labels in the conversation's language
  const zh = await labels();
  check(zh.send === "发送" && zh.title === "在线咨询", `Chinese labels: ${JSON.stringify(zh)}`);
  before = await send("How do I stop my child's insurance?");
  await waitBot(before, /Please confirm/, "English confirmation");
  const en = await labels();
  check(en.send === "Send" && en.title === "Online help" && /^Type your question/.test(en.placeholder)
        && en.launcher === "Open online help" && en.close === "Close the chat", `English labels: ${JSON.stringify(en)}`);
  check(await live("Confirm").count() === 1 && await live("确认").count() === 0, "only the English pair is live");
  step("English labels", JSON.stringify(en));
  const notesBefore = await page.locator(".szw-noanswer").count();
  await send("no reply please");
  const enNote = page.locator(".szw-noanswer").nth(notesBefore);
  await enNote.waitFor({ state: "visible" });
  const enNoteText = await enNote.innerText();
  check(/No answer yet/.test(enNoteText) && /Retry/.test(enNoteText), `English no-answer note: ${enNoteText}`);
  step("English no-answer note", enNoteText.replace(/\s+/g, " "));
  await page.reload({ waitUntil: "load" });
  await openWidget();
  check((await labels()).send === "Send", "the language survives a reload");
  before = await send("你好，我想问一下");
  await waitBot(before, /您好/, "Chinese again");
  const back = await labels();
  check(back.send === "发送" && back.title === "在线咨询", `Chinese labels again: ${JSON.stringify(back)}`);
  step("Chinese labels again");
  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
  ok = true;
} catch (e) {
  error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ok, steps, error, consoleErrors }));
process.exit(ok ? 0 : 1);
