/*
 * The help page: the demo log-in against the backend, and the widget.
 * The token lives in sessionStorage (this tab only) and is handed to the
 * widget, which sends it to the Rasa channel; the channel verifies it with
 * the backend before the assistant treats the conversation as this person's.
 */
(function () {
  "use strict";
  var cfg = window.SZ_CONFIG || {};
  var KEY_AUTH = "sz-page:auth";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("login-form"), info = $("account-info"), msg = $("login-message");

  function readAuth() {
    try { return JSON.parse(sessionStorage.getItem(KEY_AUTH) || "null"); } catch (e) { return null; }
  }
  function writeAuth(a) {
    try { if (a) sessionStorage.setItem(KEY_AUTH, JSON.stringify(a)); else sessionStorage.removeItem(KEY_AUTH); }
    catch (e) { /* private mode: keep in memory only */ }
  }
  function say(text, bad) { msg.textContent = text || ""; msg.classList.toggle("bad", !!bad); }
  function errorText(body, fallback) {
    var e = body && body.error;
    if (!e) return fallback;
    return e.message_zh + (e.fix_zh ? "（" + e.fix_zh + "）" : "");
  }

  var widget = window.SZWidget.mount({
    socketUrl: cfg.socketUrl, socketPath: cfg.socketPath, replyWaitMs: cfg.replyWaitMs,
    onAuthStatus: function (st) {
      if (st.reason === "invalid") loggedOut("expired");
    },
  });

  // Notices waiting for this visit (a pre-application finished or returned at a window):
  // shown once in the chat, then the backend marks them shown.
  function showNotices(token) {
    fetch(cfg.backendUrl + "/notices", { headers: { Authorization: "Bearer " + token } }).then(function (r) {
      return r.ok ? r.json() : { notices: [] };
    }).then(function (body) {
      (body.notices || []).forEach(function (n) {
        if (typeof n.text === "string") widget.add({ from: "bot", text: "【通知】" + n.text });
      });
    }).catch(function () { /* shown at the next visit */ });
  }

  function showLoggedIn(auth) {
    form.hidden = true; info.hidden = false;
    $("account-name").textContent = auth.name || "";
    document.body.classList.add("logged-in");
  }
  function loggedOut(reason) {
    writeAuth(null);
    form.hidden = false; info.hidden = true;
    document.body.classList.remove("logged-in");
    widget.setAuth(null, null, { reason: reason });
    if (reason === "expired") say("登录已失效，请重新登录。", true);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var username = $("login-username").value.trim(), password = $("login-password").value;
    if (!username || !password) { say("请输入用户名和密码。", true); return; }
    var button = $("login-submit");
    button.disabled = true; say("正在登录…");
    fetch(cfg.backendUrl + "/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Channel": "web" },
      body: JSON.stringify({ username: username, password: password }),
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok || !res.body || !res.body.token) { say(errorText(res.body, "登录失败，请稍后再试。"), true); return; }
      var auth = { token: res.body.token, name: res.body.name, expires_at: res.body.expires_at };
      writeAuth(auth);
      $("login-password").value = "";
      say("");
      showLoggedIn(auth);
      widget.setAuth(auth.token, auth.name);
      widget.open();
      showNotices(auth.token);
    }).catch(function () {
      say("无法连接服务，请稍后再试。", true);
    }).then(function () { button.disabled = false; });
  });

  $("logout").addEventListener("click", function () {
    var auth = readAuth();
    if (auth && auth.token) {
      fetch(cfg.backendUrl + "/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + auth.token } })
        .catch(function () { /* revoked or unreachable: the local log-out still happens */ });
    }
    loggedOut(null);
    say("已退出登录。");
  });

  $("open-chat").addEventListener("click", function () { widget.open(); });

  // A reload in the same tab keeps the log-in if the backend still accepts the token.
  var saved = readAuth();
  if (saved && saved.token) {
    showLoggedIn(saved);
    widget.setAuth(saved.token, saved.name, { silent: true });
    fetch(cfg.backendUrl + "/me", { headers: { Authorization: "Bearer " + saved.token } }).then(function (r) {
      if (r.status === 401) loggedOut("expired");
      else if (r.ok) showNotices(saved.token);
    }).catch(function () { /* backend down: the channel will tell */ });
  }
  window.SZPage = { widget: widget };
})();
