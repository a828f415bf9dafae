"""Chat with the running assistant from a terminal (like `rasa shell`, but as a
logged-in demo person), or try the WeChat and IVR channels.

REST as a demo person (logs in at the backend; the token goes in the metadata,
which the actions verify with the backend; buttons are numbered)::

    python -m bot.channels.tryout rest --user lina      # password Demo@2026
    > 给孩子停保
      [1] 李小明  [2] 李小红  [3] 取消
    > 1                         the first button's payload
    > :quit

WeChat (signs, and with --aes-key encrypts, each push exactly like WeChat's
servers do; prints the decrypted passive reply)::

    python -m bot.channels.tryout wechat --token "$WECHAT_TOKEN" --openid o_demo_user --standin 8701
    > 你好                      a text message
    > 绑定                      the binding link (a page: WeChat OAuth, then the log-in form)
    > :bind zhangwei            open that link as this WeChat user and log in (the password is
                                asked without echo, on the page's form, never in the chat)
    > :subscribe                the follow event (welcome)
    > :click stop_child_insurance   a menu click
    > :image                    an image message
    > :retry                    resend the previous push (same MsgId)

IVR (a phone call as a speech front end would post it)::

    python -m bot.channels.tryout ivr --caller 13800138001 [--secret "$IVR_WEBHOOK_SECRET"]
    > 我要停保                  speech (confidence 0.9)
    > ~0.4 我要停报             speech with a low confidence
    > #1310#                    DTMF keys (here: 1310 then the # key)
    > (empty line)              no input
    > :hangup

``--standin PORT`` serves a stand-in of WeChat's servers for local trials:
the OAuth authorisation page and code exchange (``/connect/oauth2/authorize``,
``/sns/oauth2/access_token``) and the customer-service API (its messages are
printed here). Start Rasa with ``WECHAT_API_BASE=WECHAT_OAUTH_BASE=
http://127.0.0.1:PORT WECHAT_APP_ID=wx_tryout WECHAT_APP_SECRET=tryout-secret``.

Only the standard library, requests and wechatpy are used.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Dict, Optional

import requests


def _wechat_standin(port: int, app_id: str, app_secret: str) -> str:
    """WeChat's servers for a local trial (OAuth and the customer-service API), in a thread."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    codes: Dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _json(self, body: Dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/connect/oauth2/authorize":  # the WeChat user is named by the tryout
                code = uuid.uuid4().hex[:12]
                codes[code] = self.headers.get("X-Tryout-OpenID") or "o_tryout_user"
                self.send_response(302)
                self.send_header("Location", f"{q.get('redirect_uri')}?code={code}&state={q.get('state', '')}")
                self.end_headers()
            elif url.path == "/sns/oauth2/access_token":
                openid = codes.pop(q.get("code", ""), None)
                ok = openid and q.get("appid") == app_id and q.get("secret") == app_secret
                self._json(
                    {"access_token": "t", "expires_in": 7200, "openid": openid}
                    if ok
                    else {"errcode": 40029, "errmsg": "invalid code"}
                )
            elif url.path == "/cgi-bin/token":
                self._json({"access_token": "tryout-token", "expires_in": 7200})
            else:
                self._json({"errcode": 404})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlparse(self.path).path == "/cgi-bin/message/custom/send":
                msg = json.loads(body.decode("utf-8"))
                print(f"\n[customer-service message]\n{msg.get('text', {}).get('content')}\n> ", end="", flush=True)
            self._json({"errcode": 0, "errmsg": "ok"})

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def _page_text(body: str) -> str:
    import re

    body = re.sub(r"(?s)<(style|title)>.*?</\1>", " ", body or "")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()[:200]


def _bind_on_page(link: str, openid: str, username: str) -> None:
    """What the user does with the binding link in WeChat's browser: OAuth, then the form."""
    import getpass
    import re

    http = requests.Session()
    start = http.get(link, allow_redirects=False, timeout=10)
    if start.status_code not in (302, 303):
        print(f"[binding page {start.status_code}] {_page_text(start.text)}")
        return
    auth = http.get(
        start.headers["Location"].split("#")[0], headers={"X-Tryout-OpenID": openid}, allow_redirects=False, timeout=10
    )
    form = http.get(auth.headers.get("Location", ""), timeout=10) if auth.status_code == 302 else auth
    nonce = re.search(r'name="f" value="([^"]+)"', form.text or "")
    if form.status_code != 200 or not nonce:
        print(f"[binding page {form.status_code}] {_page_text(form.text)}")
        return
    password = getpass.getpass(f"password of {username} (on the binding page): ")
    done = http.post(
        form.url.split("/bind/")[0] + "/bind/login",
        data={"f": nonce.group(1), "username": username, "password": password},
        timeout=20,
    )
    print(f"[binding page {done.status_code}] {_page_text(done.text)}")


def _wechat(args: argparse.Namespace) -> None:
    import re

    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.utils import WeChatSigner

    crypto = WeChatCrypto(args.token, args.aes_key, args.app_id) if args.aes_key else None
    last: Optional[str] = None
    links: list = []
    if args.standin:
        base = _wechat_standin(args.standin, args.app_id or "wx_tryout", args.app_secret)
        print(
            f"WeChat stand-in on {base}: start Rasa with WECHAT_API_BASE={base} WECHAT_OAUTH_BASE={base} "
            f"WECHAT_APP_ID={args.app_id or 'wx_tryout'} WECHAT_APP_SECRET={args.app_secret}"
        )

    def post(xml: str) -> None:
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signer = WeChatSigner()
        signer.add_data(args.token, ts, nonce)
        query: Dict[str, str] = {"signature": signer.signature, "timestamp": ts, "nonce": nonce}
        body = xml
        if crypto is not None:
            envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, ts))
            body = (
                f"<xml><ToUserName><![CDATA[{args.gh}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>"
            )
            query.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature") or "")
        started = time.monotonic()
        resp = requests.post(args.url, params=query, data=body.encode("utf-8"), timeout=10)
        took = time.monotonic() - started
        if resp.status_code != 200 or resp.text in ("", "success"):
            print(f"[{resp.status_code} in {took:.2f}s] {resp.text or '(empty)'}")
            return
        text = resp.text
        if crypto is not None:
            outer = ET.fromstring(resp.content)
            text = crypto.decrypt_message(
                resp.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")
            )
        content = parse_message(text).content
        links.extend(re.findall(r'<a href="([^"]+/bind/start[^"]*)">', content or ""))
        print(f"[{took:.2f}s]\n{content}")

    def wrap(inner: str, msg_type: str, with_id: bool = True) -> str:
        msg_id = f"<MsgId>{random.randint(10**18, 10**19 - 1)}</MsgId>" if with_id else ""
        return (
            f"<xml><ToUserName><![CDATA[{args.gh}]]></ToUserName>"
            f"<FromUserName><![CDATA[{args.openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{inner}{msg_id}</xml>"
        )

    print("WeChat tryout: type a message (:subscribe, :click KEY, :image, :retry, :quit)")
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line in (":quit", ":q"):
            break
        if line.startswith(":bind "):
            if not links:
                print("no binding link yet: send 绑定 first")
            else:
                _bind_on_page(links[-1], args.openid, line.split(" ", 1)[1].strip())
            continue
        if line == ":retry" and last:
            xml = last
        elif line == ":subscribe":
            xml = wrap("<Event><![CDATA[subscribe]]></Event>", "event", with_id=False)
        elif line.startswith(":click "):
            key = line.split(" ", 1)[1].strip()
            xml = wrap(
                f"<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[{key}]]></EventKey>", "event", with_id=False
            )
        elif line == ":image":
            xml = wrap(
                "<PicUrl><![CDATA[http://example.org/a.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>", "image"
            )
        else:
            xml = wrap(f"<Content><![CDATA[{line}]]></Content>", "text")
        last = xml
        post(xml)


def _ivr(args: argparse.Namespace) -> None:
    call_id = f"tryout-{uuid.uuid4().hex[:8]}"
    headers = {"X-IVR-Secret": args.secret} if args.secret else {}

    def send(body: Dict[str, Any]) -> None:
        body = {"call_id": call_id, "caller": args.caller, **body}
        resp = requests.post(args.url, json=body, headers=headers, timeout=30)
        if resp.status_code != 200:
            print(f"[{resp.status_code}] {resp.text}")
            return
        out = resp.json()
        print(f"BOT: {out['text']}")
        if args.ssml:
            print(f"SSML: {out['ssml']}")
        print(
            f"     expect={json.dumps(out['expect'], ensure_ascii=False)} end_call={out['end_call']} "
            f"transfer={out['transfer']}"
        )

    print("IVR tryout: speak by typing; ~0.4 TEXT = low confidence; #KEYS = DTMF; empty = no input; :hangup")
    send({"event": "call_start"})
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line in (":hangup", ":quit", ":q"):
            send({"event": "hangup"})
            break
        if not line.strip():
            send({"event": "no_input"})
        elif line.startswith("#"):
            send({"event": "dtmf", "digits": line[1:]})
        elif line.startswith("~"):
            conf, _, text = line[1:].partition(" ")
            send({"event": "speech", "transcript": text, "confidence": float(conf)})
        else:
            send({"event": "speech", "transcript": line, "confidence": 0.9})


def _rest(args: argparse.Namespace) -> None:
    token = None
    if args.user:
        from bot.backend_client import BackendClient, BackendError, BackendUnavailable

        try:
            token = BackendClient(args.backend).login(args.user, args.password, channel="web")
        except BackendError as err:
            sys.exit(f"login failed ({err.status}): {err}")
        except BackendUnavailable as err:
            sys.exit(f"login failed: backend {args.backend} unreachable ({err})")
        print(f"logged in as {args.user}")
    sender = f"tryout-{args.user or 'guest'}-{uuid.uuid4().hex[:8]}"
    buttons: list = []
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            break
        if line in (":quit", ":q"):
            break
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            line = buttons[int(line) - 1]["payload"]
        body: Dict[str, Any] = {"sender": sender, "message": line}
        if token:
            body["metadata"] = {"auth_token": token}
        try:
            replies = requests.post(args.url, json=body, timeout=30).json()
        except (requests.RequestException, ValueError) as err:
            print(f"  (no answer: {err})")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print("  " + reply["text"].replace("\n", "\n  "))
            for b in reply.get("buttons") or []:
                buttons.append(b)
            if reply.get("image"):
                print(f"  [image] {reply['image']}")
        if buttons:
            print("  " + "  ".join(f"[{n}] {b.get('title')}" for n, b in enumerate(buttons, 1)))


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="channel", required=True)
    w = sub.add_parser("wechat")
    w.add_argument("--url", default="http://127.0.0.1:5005/webhooks/wechat/webhook")
    w.add_argument("--token", required=True)
    w.add_argument("--openid", default="o_tryout_user")
    w.add_argument("--gh", default="gh_tryout")
    w.add_argument("--aes-key", help="EncodingAESKey: safe mode")
    w.add_argument("--app-id", default="")
    w.add_argument("--app-secret", default="tryout-secret")
    w.add_argument("--standin", type=int, help="serve a stand-in of WeChat's OAuth and API on this port")
    i = sub.add_parser("ivr")
    i.add_argument("--url", default="http://127.0.0.1:5005/webhooks/ivr/webhook")
    i.add_argument("--caller", default="13800138001")
    i.add_argument("--secret")
    i.add_argument("--ssml", action="store_true")
    r = sub.add_parser("rest")
    r.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    r.add_argument("--backend", default="http://127.0.0.1:8000")
    r.add_argument("--user", help="a demo user name (README); without it you chat as a guest")
    r.add_argument("--password", default="Demo@2026")
    args = parser.parse_args(argv)
    {"wechat": _wechat, "ivr": _ivr, "rest": _rest}[args.channel](args)


if __name__ == "__main__":
    main()
