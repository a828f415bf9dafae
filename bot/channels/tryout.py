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

    python -m bot.channels.tryout wechat --token "$WECHAT_TOKEN" --openid o_demo_user
    > 你好                      a text message
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


def _wechat(args: argparse.Namespace) -> None:
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.utils import WeChatSigner

    crypto = WeChatCrypto(args.token, args.aes_key, args.app_id) if args.aes_key else None
    last: Optional[str] = None

    def post(xml: str) -> None:
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signer = WeChatSigner()
        signer.add_data(args.token, ts, nonce)
        query: Dict[str, str] = {"signature": signer.signature, "timestamp": ts, "nonce": nonce}
        body = xml
        if crypto is not None:
            envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, ts))
            body = (f"<xml><ToUserName><![CDATA[{args.gh}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>")
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
            text = crypto.decrypt_message(resp.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"),
                                          outer.findtext("Nonce"))
        print(f"[{took:.2f}s]\n{parse_message(text).content}")

    def wrap(inner: str, msg_type: str, with_id: bool = True) -> str:
        msg_id = f"<MsgId>{random.randint(10**18, 10**19 - 1)}</MsgId>" if with_id else ""
        return (f"<xml><ToUserName><![CDATA[{args.gh}]]></ToUserName>"
                f"<FromUserName><![CDATA[{args.openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[{msg_type}]]></MsgType>{inner}{msg_id}</xml>")

    print("WeChat tryout: type a message (:subscribe, :click KEY, :image, :retry, :quit)")
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line in (":quit", ":q"):
            break
        if line == ":retry" and last:
            xml = last
        elif line == ":subscribe":
            xml = wrap("<Event><![CDATA[subscribe]]></Event>", "event", with_id=False)
        elif line.startswith(":click "):
            key = line.split(" ", 1)[1].strip()
            xml = wrap(f"<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[{key}]]></EventKey>", "event",
                       with_id=False)
        elif line == ":image":
            xml = wrap("<PicUrl><![CDATA[http://example.org/a.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
                       "image")
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
        print(f"     expect={json.dumps(out['expect'], ensure_ascii=False)} end_call={out['end_call']} "
              f"transfer={out['transfer']}")

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
        r = requests.post(f"{args.backend}/auth/login", json={"username": args.user, "password": args.password},
                          headers={"X-Channel": "web"}, timeout=10)
        if r.status_code != 200:
            sys.exit(f"login failed ({r.status_code}): {r.text[:200]}")
        token = r.json()["token"]
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
