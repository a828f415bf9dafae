// Conversation analytics dashboard: plain JavaScript and SVG against /window/analytics (supervisors).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const OUTCOMES = ["completed", "pre_applied", "refused", "dropped"];
  const NAMES = {};
  function token() { return sessionStorage.getItem("staff_token"); }
  function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }
  function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }

  async function api(path, raw) {
    const headers = { "Content-Type": "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const resp = await fetch(path, { method: raw === "POST" ? "POST" : "GET", headers, body: raw && raw !== "POST" && raw !== "text" ? JSON.stringify(raw) : undefined });
    if (raw === "text" && resp.ok) return resp.text();
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = data.error || {};
      if (resp.status === 401) { sessionStorage.removeItem("staff_token"); show(); }
      throw new Error((err.message_zh || "请求失败") + (err.fix_zh ? "：" + err.fix_zh : ""));
    }
    return data;
  }

  async function login(ev) {
    ev.preventDefault();
    try {
      const resp = await fetch("/window/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }) });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.error.message_zh);
      sessionStorage.setItem("staff_token", data.token); $("password").value = ""; show();
    } catch (e) { say(e.message, "error"); }
  }

  async function show() {
    const logged = !!token();
    $("login-panel").hidden = logged; $("board").hidden = !logged; $("who").hidden = !logged;
    if (logged) {
      try { const me = await api("/window/me"); $("who-name").textContent = me.display_name; await load(); }
      catch (e) { say(e.message, "error"); }
    }
  }

  async function names() {
    if (Object.keys(NAMES).length) return;
    const cat = await fetch("/catalogue").then((r) => r.json()).catch(() => ({ items: [], services: [] }));
    for (const e of [...(cat.items || []), ...(cat.services || [])]) NAMES[e.code] = e.name_zh;
  }

  function bar(item, max) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 10"); svg.setAttribute("preserveAspectRatio", "none");
    let x = 0;
    for (const k of OUTCOMES) {
      const w = max ? (item[k] / max) * 100 : 0;
      if (!w) continue;
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", x); r.setAttribute("y", 0); r.setAttribute("width", w); r.setAttribute("height", 10); r.setAttribute("class", k);
      const t = document.createElementNS(SVG, "title"); t.textContent = k + ": " + item[k]; r.appendChild(t);
      svg.appendChild(r); x += w;
    }
    return svg;
  }

  async function load() {
    await names();
    const d = await api("/window/analytics/summary?days=" + $("days").value);
    $("k-sessions").textContent = d.sessions;
    $("k-containment").textContent = pct(d.containment_rate);
    $("k-finished").textContent = d.items_finished;
    $("k-latency").textContent = d.latency_ms ? d.latency_ms.p50 + " / " + d.latency_ms.p95 + " ms" : "–";
    const items = $("items"); items.replaceChildren();
    const max = Math.max(1, ...d.items.map((i) => OUTCOMES.reduce((s, k) => s + i[k], 0)));
    if (!d.items.length) items.appendChild(el("p", "暂无数据（未配置事件总线或尚无会话）"));
    for (const i of d.items) {
      const row = el("div", undefined, "item-row"); row.dataset.item = i.item_code;
      row.appendChild(el("span", (NAMES[i.item_code] || i.item_code) + "：开始" + i.started + "，确认" + i.confirmed, "name"));
      row.appendChild(bar(i, max)); items.appendChild(row);
    }
    const daily = $("daily").tBodies[0]; daily.replaceChildren();
    for (const r of d.daily) {
      const tr = el("tr");
      for (const v of [r.day, r.channel, r.sessions, r.turns]) tr.appendChild(el("td", String(v)));
      for (const [rate, cls] of [[r.fallback_rate, "rate"], [r.handoff_rate, "rate handoff"]]) {
        const td = el("td"); const b = el("span", undefined, cls); b.style.width = Math.round(rate * 80) + "px";
        td.appendChild(b); td.appendChild(document.createTextNode(pct(rate))); tr.appendChild(td);
      }
      daily.appendChild(tr);
    }
    const nu = $("not-understood").tBodies[0]; nu.replaceChildren();
    for (const m of d.not_understood) {
      const tr = el("tr");
      for (const v of [m.text, m.best_guess || "—", m.times, m.channel || ""]) tr.appendChild(el("td", String(v)));
      nu.appendChild(tr);
    }
    say("已更新", "ok");
  }

  $("login-form").addEventListener("submit", login);
  $("refresh").addEventListener("click", () => load().catch((e) => say(e.message, "error")));
  $("days").addEventListener("change", () => load().catch((e) => say(e.message, "error")));
  $("logout").addEventListener("click", async () => {
    try { await api("/window/auth/logout", "POST"); } catch (e) { /* gone */ }
    sessionStorage.removeItem("staff_token"); show();
  });
  $("export").addEventListener("click", async () => {
    try {
      const text = await api("/window/analytics/not-understood.yml?days=" + $("days").value, "text");
      const a = el("a"); a.href = URL.createObjectURL(new Blob([text], { type: "application/x-yaml" }));
      a.download = "not-understood.yml"; document.body.appendChild(a); a.click(); a.remove();
      say("已导出 not-understood.yml", "ok");
    } catch (e) { say(e.message, "error"); }
  });
  show();
})();
