// Window console: plain JavaScript against the backend's /window API (no build step).
// The staff token lives in sessionStorage only (gone when the tab closes).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const STATUS = { submitted: "已提交，待办理", processing: "办理中（已收材料）", completed: "已办结",
                   returned: "已退回", rejected: "未通过" };
  const STEP = { submitted: "提交预申请", materials_received: "核收材料", finished: "办结", returned: "退回" };
  let current = null;

  function token() { return sessionStorage.getItem("staff_token"); }
  function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }
  function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) { throw new Error("网络错误，请重试"); }
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = data.error || {};
      if (resp.status === 401 && path !== "/window/auth/login") { sessionStorage.removeItem("staff_token"); show(); }
      throw new Error((err.message_zh || "请求失败") + (err.fix_zh ? "：" + err.fix_zh : ""));
    }
    return data;
  }

  async function show() {
    const logged = !!token();
    $("login-panel").hidden = logged; $("work").hidden = !logged; $("who").hidden = !logged;
    if (logged) {
      try { const me = await api("GET", "/window/me"); $("who-name").textContent = me.display_name + "（" + (me.role === "supervisor" ? "主管" : "窗口") + "）"; }
      catch (e) { say(e.message, "error"); }
    }
  }

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api("POST", "/window/auth/login", { username: $("username").value, password: $("password").value });
      sessionStorage.setItem("staff_token", r.token); $("password").value = ""; say("已登录", "ok"); show();
    } catch (e) { say(e.message, "error"); }
  });

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/window/auth/logout"); } catch (e) { /* already gone */ }
    sessionStorage.removeItem("staff_token"); current = null; $("detail").hidden = true; $("results").replaceChildren(); say("已退出"); show();
  });

  $("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("query").value.replace(/\s+/g, "");
    const param = /^ys/i.test(q) ? "number" : "id_number";
    try {
      const r = await api("GET", "/window/pre-applications?" + param + "=" + encodeURIComponent(q));
      const list = $("results"); list.replaceChildren();
      if (!r.results.length) { say("没有找到预申请", "error"); return; }
      for (const p of r.results) {
        const b = el("button", p.number + " · " + p.item_name_zh + " · " + p.subject_name + " · " + (STATUS[p.status] || p.status));
        b.type = "button"; b.dataset.number = p.number; b.addEventListener("click", () => open(p.number));
        const li = el("li"); li.appendChild(b); list.appendChild(li);
      }
      say("找到 " + r.results.length + " 条", "ok");
      if (r.results.length === 1) open(r.results[0].number);
    } catch (e) { say(e.message, "error"); }
  });

  async function open(number) {
    try { render(await api("GET", "/window/pre-applications/" + encodeURIComponent(number))); }
    catch (e) { say(e.message, "error"); }
  }

  function render(d) {
    current = d;
    $("detail").hidden = false;
    $("d-item").textContent = d.item_name_zh; $("d-number").textContent = d.number;
    $("d-status").textContent = STATUS[d.status] || d.status; $("d-status").dataset.status = d.status;
    $("d-serial").textContent = d.serial_no ? "业务流水号 " + d.serial_no : "";
    $("d-subject").textContent = d.subject.name + "（" + d.subject.id_number + "）";
    $("d-applicant").textContent = d.applicant ? "申请人：" + d.applicant.name + "（" + d.applicant.id_number + "）" : "";
    $("d-channel").textContent = d.channel || "";
    const rows = $("d-data").tBodies[0]; rows.replaceChildren();
    for (const f of d.data) {
      const tr = el("tr"); tr.appendChild(el("td", f.label_zh)); const td = el("td", String(f.value));
      if (f.needs_original) {
        const inp = el("input"); inp.dataset.field = f.name; inp.placeholder = "对照原件录入完整号码"; inp.className = "original";
        td.appendChild(document.createTextNode(" ")); td.appendChild(inp);
      }
      tr.appendChild(td); rows.appendChild(tr);
    }
    const mm = $("d-mismatches"); mm.replaceChildren();
    if (!d.comparison.mismatches.length) mm.appendChild(el("li", "无（非比对业务或比对未记录差异）"));
    for (const m of d.comparison.mismatches) mm.appendChild(el("li", m.label_zh + "：申报 " + (m.submitted || "—") + "，登记 " + m.registry, "bad"));
    const mats = $("d-materials"); mats.replaceChildren();
    for (const m of d.materials) {
      const li = el("li"); const cb = el("input"); cb.type = "checkbox"; cb.value = m.index; cb.checked = m.received; cb.disabled = m.received;
      const lab = el("label"); lab.appendChild(cb); lab.appendChild(document.createTextNode(" " + m.zh + (m.received ? "（已收）" : "")));
      if (m.received) lab.className = "received";
      li.appendChild(lab); mats.appendChild(li);
    }
    const open = ["submitted", "processing", "returned"].includes(d.status);
    for (const id of ["receive", "finish", "return"]) $(id).disabled = !open;
    const hist = $("d-history"); hist.replaceChildren();
    for (const h of d.history) {
      let t = h.at.slice(0, 16).replace("T", " ") + " " + (STEP[h.action] || h.action);
      if (h.reason) t += "：" + h.reason; if (h.serial_no) t += "（" + h.serial_no + "）";
      hist.appendChild(el("li", t));
    }
  }

  $("receive").addEventListener("click", async () => {
    const picked = [...document.querySelectorAll("#d-materials input:checked:not(:disabled)")].map((c) => Number(c.value));
    if (!picked.length) { say("请先勾选收到的材料", "error"); return; }
    try { render(await api("POST", "/window/pre-applications/" + current.number + "/materials", { received: picked })); say("已记录收到的材料", "ok"); }
    catch (e) { say(e.message, "error"); }
  });

  $("finish").addEventListener("click", async () => {
    const originals = {};
    for (const inp of document.querySelectorAll("#d-data input.original")) if (inp.value.trim()) originals[inp.dataset.field] = inp.value.trim();
    try {
      const r = await api("POST", "/window/pre-applications/" + current.number + "/finish", { originals });
      render(r); say("已办结，业务流水号 " + r.serial_no, "ok");
    } catch (e) { say(e.message, "error"); }
  });

  $("return").addEventListener("click", async () => {
    const reason = $("return-reason").value.trim();
    const bring = $("return-bring").value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (reason.length < 2) { say("请填写退回原因", "error"); return; }
    try { render(await api("POST", "/window/pre-applications/" + current.number + "/return", { reason, bring })); say("已退回，已通知申请人", "ok"); }
    catch (e) { say(e.message, "error"); }
  });

  show();
})();
