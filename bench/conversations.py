"""Conversation benchmark: whole resident conversations, checked against the backend's state.

    .venv/rasa/bin/python bench/conversations.py [--ids a,b,...] [--heldout-only] [--model PATH]
                                                  [--report docs/conversation-report.md] [--json FILE]

Starts its own stack (tests/bot/stack.py's ``run_stack``: the real backend on a
temporary SQLite database with the demo people and the clock pinned inside the
payment window, the action server, ``rasa run`` with the model), then plays
every conversation of tests/conversations/*.yml over Rasa's REST channel: a
fresh sender per conversation, logged in through ``POST /auth/login`` as the
conversation's demo user (the token goes in ``metadata.auth_token``, as the
website sends it); ``channel: ivr`` ones as phone calls through the IVR channel
(the caller verified by keys: ID number's last four digits and the phone PIN). Before each conversation the backend's database is put back
to the state it had right after seeding (SQLite online backup of a snapshot), so
every conversation meets the demo people as the README describes them.

The expected outcome is checked against the BACKEND's state, read from its
database after the conversation: a new business transaction (completed) or a
pre-application, for the right item, the right person and the expected field
values; for the outcomes that change nothing (refused / clarify / answer /
handoff / out_of_scope), that nothing changed and what the last reply says.

Writes docs/conversation-report.md: right-outcome rate overall, per item, per
outcome class, tuning vs held-out, median user turns to a completed item or a
pre-application, and every failure with its transcript. The section between
``<!-- causes:start -->`` and ``<!-- causes:end -->`` of an existing report
(written by people reading the failures) is kept when the report is rewritten.

The conversation file format (the step language) is described in
tests/conversations/README.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Generator, Iterable, List, Optional, Tuple

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONV_DIR = ROOT / "tests" / "conversations"
REPORT = ROOT / "docs" / "conversation-report.md"
PASSWORD = "Demo@2026"
OUTCOMES = ("completed", "pre_application", "refused", "clarify", "answer", "handoff", "out_of_scope")
ACTING = ("completed", "pre_application")
CAUSES_START, CAUSES_END = "<!-- causes:start -->", "<!-- causes:end -->"

# How a reply asks for confirmation (the confirm buttons, or the question in words).
CONFIRM_PAYLOADS = {"/affirm"}
CONFIRM_WORDS = (
    "确认办理吗",
    "确认提交吗",
    "是否确认",
    "请确认",
    "確認辦理嗎",
    "confirm?",
    "shall i submit",
    "press “confirm”",
    'press "confirm"',
)
# How a reply's last line asks something (a refusal or a result that merely mentions a field is no question).
QUESTION_CUES = (
    "？",
    "?",
    "请告诉我",
    "请问",
    "请选择",
    "请输入",
    "请提供",
    "请回复",
    "请填写",
    "請",
    "please",
    "what",
    "which",
)
OUT_OF_SCOPE_WORDS = ("不在我的服务范围", "outside what i can help")
MAX_AUTO_TURNS = 8  # replies to the bot's questions after the scripted turns
MAX_WAIT_TURNS = 3  # answers played while a conditional step waits for its moment


# ======================================================================================
# Conversations
# ======================================================================================
def load_conversations(directory: Path = CONV_DIR) -> List[Dict[str, Any]]:
    """Every conversation of every *.yml file, validated; ``file`` is added to each."""
    convs: List[Dict[str, Any]] = []
    seen = set()
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for conv in data.get("conversations") or []:
            cid = conv.get("id")
            problems = []
            if not cid or cid in seen:
                problems.append("missing or duplicate id")
            exp = conv.get("expect") or {}
            if exp.get("outcome") not in OUTCOMES:
                problems.append(f"expect.outcome must be one of {OUTCOMES}")
            if not conv.get("turns"):
                problems.append("no turns")
            if exp.get("outcome") in ("refused", "answer") and not exp.get("reply_any"):
                problems.append("a refused/answer outcome needs expect.reply_any")
            if conv.get("channel", "rest") not in ("rest", "ivr"):
                problems.append("channel must be rest or ivr")
            if conv.get("channel") == "ivr" and not conv.get("user"):
                problems.append("an ivr conversation needs a user (the caller is verified as that person)")
            for step in conv.get("turns") or []:
                if not isinstance(step, dict) or not ({"say", "click", "expect_any", "expect_none"} & set(step)):
                    problems.append(f"bad step {step!r}")
            if problems:
                raise ValueError(f"{path.name}: conversation {cid!r}: " + "; ".join(problems))
            seen.add(cid)
            convs.append({**conv, "file": path.name})
    return convs


# ======================================================================================
# The backend's state
# ======================================================================================
class BackendState:
    """The backend's SQLite database: a snapshot after seeding, restored before each conversation."""

    def __init__(self, db: Path, snapshot: Path) -> None:
        self.db, self.snapshot = db, snapshot

    def take_snapshot(self) -> None:
        with sqlite3.connect(self.db, timeout=30) as live, sqlite3.connect(self.snapshot) as snap:
            live.backup(snap)

    def restore(self) -> None:
        with sqlite3.connect(self.snapshot) as snap, sqlite3.connect(self.db, timeout=30) as live:
            snap.backup(live)

    def query(self, sql: str, args: Tuple[Any, ...] = ()) -> List[Dict[str, Any]]:
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql, args)]
        finally:
            con.close()

    def last_sms_code(self) -> Optional[str]:
        """The code in the newest text message of the development SMS outbox (backend services/sms.py)."""
        try:
            rows = self.query("SELECT text FROM sms_outbox ORDER BY id DESC LIMIT 1")
        except sqlite3.Error:
            return None
        m = re.search(r"(?<!\d)(\d{4,8})(?!\d)", rows[0]["text"]) if rows else None
        return m.group(1) if m else None

    def changes(self) -> Dict[str, List[Dict[str, Any]]]:
        """What the conversation left: transactions (with subject names and pre-applications), new accounts."""
        txs = self.query(
            "SELECT t.id, t.item_code, t.outcome, t.data, a.name AS actor, s.name AS subject, p.number AS pre_number,"
            " p.data AS pre_data FROM transactions t JOIN people a ON a.id = t.actor_person_id"
            " JOIN people s ON s.id = t.subject_person_id LEFT JOIN pre_applications p ON p.transaction_id = t.id"
            " ORDER BY t.id"
        )
        for tx in txs:
            tx["data"] = _json(tx["data"])
            tx["pre_data"] = _json(tx["pre_data"])
        accounts = self.query("SELECT u.username, p.name FROM user_accounts u JOIN people p ON p.id = u.person_id")
        try:  # the chat's part of a registration: a one-time page link for the person (backend registration_link.py)
            links = self.query("SELECT r.id, p.name FROM registration_links r JOIN people p ON p.id = r.person_id")
        except sqlite3.Error:
            links = []
        return {"transactions": txs, "accounts": accounts, "links": links}


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# ======================================================================================
# Playing one conversation
# ======================================================================================
@dataclass
class Result:
    conv: Dict[str, Any]
    passed: bool = False
    reasons: List[str] = field(default_factory=list)
    user_turns: int = 0
    actual: str = ""
    transcript: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return self.conv["id"]


class Player:
    """One resident talking to the running assistant over REST."""

    def __init__(self, rasa: str, token: Optional[str], sender: str) -> None:
        self.rasa, self.token, self.sender = rasa, token, sender
        self.messages: List[Dict[str, Any]] = []
        self.turn_messages: List[Dict[str, Any]] = []
        self.transcript: List[str] = []
        self.turns = 0
        self.confirmed = False  # the resident has confirmed a summary: no more answers, only confirmations
        self.sms_code: Optional[Callable[[], Optional[str]]] = None  # reads the resident's last text message

    # ---- the last reply
    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.turn_messages if m.get("text"))

    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.turn_messages for b in m.get("buttons") or []]

    def signals(self) -> List[str]:
        return [str(m["custom"].get("signal")) for m in self.turn_messages if isinstance(m.get("custom"), dict)]

    def haystack(self, last_line: bool = False) -> str:
        text = self.text
        if last_line:
            lines = [line for line in text.splitlines() if line.strip()]
            text = lines[-1] if lines else ""
        return (text + "\n" + " ".join(b.get("title", "") for b in self.buttons())).lower()

    def matches(self, words: Iterable[str], last_line: bool = False) -> bool:
        hay = self.haystack(last_line)
        return any(str(w).lower() in hay for w in words)

    def asks_question(self) -> bool:
        """Choices offered (other than confirm/cancel), or a question in the reply's last line."""
        if any(b.get("payload") not in CONFIRM_PAYLOADS | {"/cancel"} for b in self.buttons()):
            return True
        lines = [line for line in self.text.splitlines() if line.strip()]
        return bool(lines) and any(c in lines[-1].lower() for c in QUESTION_CUES)

    def asks_confirmation(self) -> bool:
        return any(b.get("payload") in CONFIRM_PAYLOADS for b in self.buttons()) or self.matches(CONFIRM_WORDS)

    # ---- sending
    def send(self, message: str, shown: Optional[str] = None) -> None:
        body: Dict[str, Any] = {"sender": self.sender, "message": message}
        if self.token:
            body["metadata"] = {"auth_token": self.token}
        self.turns += 1
        self.transcript.append(f"> {shown or message}")
        try:
            r = requests.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=90)
            self.turn_messages = r.json() if r.status_code == 200 else []
            if r.status_code != 200:
                self.transcript.append(f"  [HTTP {r.status_code}] {r.text[:200]}")
        except (requests.RequestException, ValueError) as e:
            self.turn_messages = []
            self.transcript.append(f"  [error] {e}")
        self.messages += self.turn_messages
        texts = [m["text"] for m in self.turn_messages if m.get("text")]
        buttons = " | ".join(f"[{b.get('title')}]" for b in self.buttons())
        sig = ",".join(s for s in self.signals())
        self.transcript.append(
            "  < "
            + ("\n    ".join(texts) if texts else "(no reply)")
            + (f"\n    {buttons}" if buttons else "")
            + (f"\n    {{signal: {sig}}}" if sig else "")
        )

    def click(self, title: str) -> None:
        """Press the button of that title (exact, else the only one containing it); no such button: type it."""
        found = [b for b in self.buttons() if b.get("title") == title] or [
            b for b in self.buttons() if title.lower() in str(b.get("title", "")).lower()
        ]
        if len(found) >= 1 and found[0].get("payload"):
            self.send(found[0]["payload"], shown=f"[click {found[0].get('title')}]")
        else:
            self.send(title, shown=f"{title}   (no button “{title}”: typed)")


IVR_SECRET = "conversations-ivr-secret"
PHONE_PIN = "202611"


class PhonePlayer(Player):
    """One phone call through the IVR channel (bot/channels/ivr.py), the way a speech front end posts it:
    the caller is verified by the ID number's last four digits and the phone PIN (keys), then speaks;
    choices and confirmations are spoken options ("确认请按1") answered by key."""

    def __init__(self, rasa: str, caller: str, id_tail: str, sender: str) -> None:
        super().__init__(rasa, None, sender)
        self.url = f"{rasa}/webhooks/ivr/webhook"
        self.caller = caller
        self.last: Dict[str, Any] = {}
        self._post({"event": "call_start"}, "[call]")
        self._post(
            {"event": "dtmf", "digits": id_tail.replace("X", "*").replace("x", "*") + "#"},
            "[keys: ID number's last four]",
        )
        self._post({"event": "dtmf", "digits": PHONE_PIN + "#"}, "[keys: phone PIN]")

    @property
    def text(self) -> str:
        return str(self.last.get("text") or "")

    def buttons(self) -> List[Dict[str, str]]:
        """The spoken options ("个人参保信息变更请按1，都不是请按2"), so that the resident picks the item's
        option by its key as they click it in the chat; confirmations are answered by asks_confirmation."""
        if self.asks_confirmation():
            return []
        return [
            {"title": title, "payload": key}
            for title, key in re.findall(r"(?:^|[。，,.？?])\s*([^。，,.？?]{2,30}?)请按(\d)", self.text)
        ]

    def signals(self) -> List[str]:
        return ["handoff"] if self.last.get("transfer") else []

    def asks_confirmation(self) -> bool:
        return "确认请按1" in self.text or "to confirm, press 1" in self.text.lower()

    def asks_question(self) -> bool:
        return bool(self.last.get("expect"))

    def _post(self, fields: Dict[str, Any], shown: str) -> None:
        body = {"call_id": self.sender, "caller": self.caller, **fields}
        self.transcript.append(f"> {shown}")
        try:
            r = requests.post(self.url, json=body, headers={"X-IVR-Secret": IVR_SECRET}, timeout=90)
            self.last = r.json() if r.status_code == 200 else {}
            if r.status_code != 200:
                self.transcript.append(f"  [HTTP {r.status_code}] {r.text[:200]}")
        except (requests.RequestException, ValueError) as e:
            self.last = {}
            self.transcript.append(f"  [error] {e}")
        self.transcript.append(
            "  < "
            + (self.text or "(no reply)")
            + (f"\n    {{transfer: {self.last['transfer'].get('number')}}}" if self.last.get("transfer") else "")
        )

    def send(self, message: str, shown: Optional[str] = None) -> None:
        self.turns += 1
        if message in ("确认", "yes") and self.asks_confirmation():
            self._post({"event": "dtmf", "digits": "1"}, "[key 1: 确认]")
        else:
            self._post({"event": "speech", "transcript": message, "confidence": 0.9}, shown or message)

    def click(self, title: str) -> None:
        """A spoken option: its key ("李小明请按2" -> 2); none: the title is said."""
        m = re.search(re.escape(title) + r"[^，。,.]*?请按(\d)", self.text)
        if m:
            self.turns += 1
            self._post({"event": "dtmf", "digits": m.group(1)}, f"[key {m.group(1)}: {title}]")
        else:
            self.send(title, shown=f"{title}   (no option “{title}”: said)")


def _do(player: Player, step: Dict[str, Any]) -> None:
    if "click" in step:
        player.click(str(step["click"]))
    elif step["say"] == "@sms_code":  # the code of the last text message the resident received
        code = player.sms_code() if player.sms_code else None
        player.send(code or "我没收到验证码", shown=f"{code or '我没收到验证码'}   (from the SMS)")
    else:
        player.send(str(step["say"]))


def _when(player: Player, when: Any) -> bool:
    """A step's moment: ``@confirm`` (the bot asks to confirm) or any of the listed words in the reply."""
    if when == "@confirm":
        return player.asks_confirmation()
    return player.matches(when if isinstance(when, list) else [when])


def _answer(
    player: Player,
    answers: List[Dict[str, Any]],
    used: collections.Counter,
    confirm: Optional[str],
    allow_confirm: bool,
    confirm_if: Optional[List[str]] = None,
    item_names: Optional[List[str]] = None,
    subject: Optional[str] = None,
    max_uses: int = 2,
) -> bool:
    """Reply to the bot's current question from the conversation's answers (or confirm). False: nothing fits.
    ``max_uses``: how often one answer may be given (a resident told why a value cannot be used does not
    repeat it when no outcome but that refusal is expected)."""
    if (
        allow_confirm
        and confirm
        and player.asks_confirmation()
        and used["__confirm__"] < 2
        and (not confirm_if or player.matches(confirm_if))
    ):
        used["__confirm__"] += 1
        player.send(confirm)
        player.confirmed = True
        return True
    if player.confirmed or not player.asks_question():
        return False
    # Choices offered: the resident picks the one that names what they asked for (the item's catalogue name).
    for name in item_names or []:
        found = [
            b
            for b in player.buttons()
            if name.lower() in str(b.get("title", "")).lower()
            and not (subject and "（" in str(b.get("title")) and subject not in str(b.get("title")))
        ]
        if len(found) == 1 and used["__item__"] < 2:
            used["__item__"] += 1
            player.click(str(found[0]["title"]))
            return True
    # The question is the reply's last line (earlier lines may list every field of the form): an answer
    # for the question itself first, then one for anything else the reply says.
    for whole in (False, True):
        for i, ans in enumerate(answers):
            if used[i] < max_uses and (
                _when(player, ans.get("when") or []) if whole else player.matches(ans.get("when") or [], last_line=True)
            ):
                used[i] += 1
                _do(player, ans)
                return True
    return False


def play(
    conv: Dict[str, Any],
    rasa: str,
    token: Optional[str],
    sender: str,
    phone: Optional[Tuple[str, str]] = None,
    names: Optional[Dict[str, List[str]]] = None,
    sms_code: Optional[Callable[[], Optional[str]]] = None,
) -> Tuple[Player, List[str]]:
    """Play the scripted turns, then answer the bot's questions; returns the player and step-check failures.
    ``phone``: (caller number, ID number) for a call through the IVR channel."""
    player: Player = PhonePlayer(rasa, phone[0], phone[1][-4:], sender) if phone else Player(rasa, token, sender)
    player.sms_code = sms_code
    answers = list(conv.get("answers") or [])
    confirm = conv.get("confirm", "确认" if conv.get("lang", "zh") == "zh" else "yes")
    # A resident confirms a child's item only when the summary names that child.
    subject = (conv.get("expect") or {}).get("subject")
    confirm_if = conv.get("confirm_if") or ([subject] if subject else None)
    # Offered choices are picked by the item's name only on the way to an outcome (a clarify conversation
    # ends at the question), and never one naming somebody else (“少儿停保（李小明）” for 李小乐).
    exp = conv.get("expect") or {}
    item_names = (
        (names or {}).get(exp.get("item") or conv.get("item") or "", [])
        if exp.get("outcome") in ("completed", "pre_application", "refused")
        else []
    )
    max_uses = 2 if exp.get("outcome") in ACTING else 1
    used: collections.Counter = collections.Counter()
    checks: List[str] = []
    for step in conv["turns"]:
        if "expect_any" in step and not ({"say", "click"} & set(step)):
            if not player.matches(step["expect_any"]):
                checks.append(f"after turn {player.turns}: the reply has none of {step['expect_any']}")
            continue
        if "expect_none" in step and not ({"say", "click"} & set(step)):
            hits = [w for w in step["expect_none"] if player.matches([w])]
            if hits:
                checks.append(f"after turn {player.turns}: the reply has {hits}")
            continue
        when = step.get("when")
        if when is not None:
            waited = 0
            while not _when(player, when) and waited < MAX_WAIT_TURNS:
                if not _answer(
                    player,
                    answers,
                    used,
                    confirm,
                    allow_confirm=False,
                    item_names=item_names,
                    subject=subject,
                    max_uses=max_uses,
                ):
                    break
                waited += 1
            if not _when(player, when):
                continue  # the moment never came: the step is skipped
        _do(player, step)
    for _ in range(MAX_AUTO_TURNS):
        if not _answer(
            player,
            answers,
            used,
            confirm,
            allow_confirm=True,
            confirm_if=confirm_if,
            item_names=item_names,
            subject=subject,
            max_uses=max_uses,
        ):
            break
    return player, checks


# ======================================================================================
# Checking the outcome
# ======================================================================================
def _same(expected: Any, actual: Any) -> bool:
    def norm(v: Any) -> str:
        text = str(v).strip().lower().replace(" ", "")
        return text[:-1] if len(text) > 2 and text[-1] in "市省" else text

    want, got = norm(expected), norm(actual)
    if "*" in got and "*" not in want:
        # the backend stores ID, card and phone numbers masked (rules/masking.py): the expected value
        # matches when every character the mask kept is the same, in a string of the same length
        return len(want) == len(got) and all(g in ("*", w) for w, g in zip(want, got, strict=True))
    return want == got


def check(
    conv: Dict[str, Any], player: Player, before: Dict[str, Any], after: Dict[str, Any], user_name: Optional[str]
) -> Tuple[List[str], str]:
    """Reasons the outcome is wrong (empty: right) and the outcome that actually happened."""
    exp = conv["expect"]
    outcome = exp["outcome"]
    reasons: List[str] = []
    old_ids = {t["id"] for t in before["transactions"]}
    new_txs = [t for t in after["transactions"] if t["id"] not in old_ids]
    old_accounts = {a["username"] for a in before["accounts"]}
    new_accounts = [a for a in after["accounts"] if a["username"] not in old_accounts]
    old_links = {x["id"] for x in before.get("links", [])}
    new_accounts += [
        {"username": f"(set-up link {x['id']})", "name": x["name"]}
        for x in after.get("links", [])
        if x["id"] not in old_links
    ]

    if new_txs:
        actual = "; ".join(
            f"{t['outcome']} {t['item_code']} for {t['subject']}"
            + (f" {json.dumps(t['data'], ensure_ascii=False, default=str)}" if t["data"] else "")
            for t in new_txs
        )
    elif new_accounts:
        actual = "completed register_account for " + ", ".join(a["name"] for a in new_accounts)
    elif "handoff" in player.signals():
        actual = "handoff"
    elif player.matches(OUT_OF_SCOPE_WORDS):
        actual = "out_of_scope"
    elif not player.text:
        actual = "no reply"
    else:
        actual = "no change; last reply: " + player.text.replace("\n", " ")[:160]

    if outcome in ACTING:
        item = exp.get("item") or conv.get("item")
        subject = exp.get("subject") or user_name
        if item == "register_account":
            if not any(a["name"] == subject for a in new_accounts):
                reasons.append(f"no new user account for {subject}")
            if new_txs:
                reasons.append(f"unexpected transactions: {actual}")
        else:
            right = [t for t in new_txs if t["item_code"] == item and t["outcome"] == outcome]
            if not right:
                reasons.append(
                    f"expected {outcome} {item} for {subject}; got: {actual if new_txs else 'no transaction'}"
                )
            else:
                tx = right[-1]
                if subject and tx["subject"] != subject:
                    reasons.append(f"wrong person: {tx['subject']} instead of {subject}")
                data = {
                    **(tx["data"] if isinstance(tx["data"], dict) else {}),
                    **(tx["pre_data"] if isinstance(tx["pre_data"], dict) else {}),
                }
                for name, value in (exp.get("fields") or {}).items():
                    if name not in data or not _same(value, data[name]):
                        reasons.append(f"field {name}: expected {value!r}, got {data.get(name)!r}")
                if outcome == "pre_application" and not tx["pre_number"]:
                    reasons.append("no pre-application row")
            allowed = set(exp.get("also_items") or [])
            others = [t for t in new_txs if t not in right and t["item_code"] not in allowed]
            if others:
                reasons.append(
                    "also done: " + "; ".join(f"{t['outcome']} {t['item_code']} for {t['subject']}" for t in others)
                )
    else:
        if new_txs or new_accounts:
            reasons.append(f"expected {outcome} with no change in the backend; got: {actual}")
        if outcome == "handoff" and "handoff" not in player.signals() and "12333" not in player.text:
            reasons.append("no handoff (no handoff signal, no 12333 in the last reply)")
        if outcome == "out_of_scope" and not exp.get("reply_any") and not player.matches(OUT_OF_SCOPE_WORDS):
            reasons.append("the last reply does not say it is out of scope")
        if (
            outcome == "clarify"
            and not exp.get("reply_any")
            and not (player.buttons() or "？" in player.text or "?" in player.text)
        ):
            reasons.append("the last reply neither asks a question nor offers choices")
    if exp.get("reply_any") and not player.matches(exp["reply_any"]):
        reasons.append(f"the last reply has none of {exp['reply_any']}")
    hits = [w for w in exp.get("reply_none") or [] if player.matches([w])]
    if hits:
        reasons.append(f"the last reply has {hits}")
    if not player.text:
        reasons.append("the last turn got no reply")
    return reasons, actual


# ======================================================================================
# Running
# ======================================================================================
def login(backend: str, username: str) -> str:
    r = requests.post(f"{backend}/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["token"]


def item_names(backend: str) -> Dict[str, List[str]]:
    """Each catalogue item's and service's names (zh, en), as the backend's catalogue gives them."""
    r = requests.get(f"{backend}/catalogue", timeout=30)
    r.raise_for_status()
    cat = r.json()
    return {
        e["code"]: [n for n in (e.get("name_zh"), e.get("name_en")) if n]
        for e in cat.get("items", []) + cat.get("services", [])
    }


def run_all(
    convs: List[Dict[str, Any]], backend: str, rasa: str, state: BackendState, progress: bool = True
) -> List[Result]:
    results: List[Result] = []
    stamp = int(time.time())
    names = item_names(backend)
    for n, conv in enumerate(convs, 1):
        started = time.monotonic()
        state.restore()
        before = state.changes()
        user = conv.get("user")
        res = Result(conv)
        try:
            token = login(backend, user) if user else None
            user_name = next((a["name"] for a in before["accounts"] if a["username"] == user), None)
            phone = None
            if conv.get("channel") == "ivr":
                row = state.query(
                    "SELECT p.phone, p.id_number FROM user_accounts u JOIN people p ON p.id = u.person_id"
                    " WHERE u.username = ?",
                    (user,),
                )[0]
                phone = ("+86 " + row["phone"], row["id_number"])
            player, checks = play(
                conv, rasa, token, f"conv-{stamp}-{n}-{conv['id']}", phone, names, state.last_sms_code
            )
            after = state.changes()
            reasons, res.actual = check(conv, player, before, after, user_name)
            res.reasons = checks + reasons
            res.user_turns = player.turns
            res.transcript = player.transcript
        except Exception as e:  # noqa: BLE001 - one broken conversation must not stop the run
            res.reasons = [f"runner error: {type(e).__name__}: {e}"]
        res.passed = not res.reasons
        res.seconds = time.monotonic() - started
        results.append(res)
        if progress:
            mark = "ok  " if res.passed else "FAIL"
            print(
                f"[{n:3d}/{len(convs)}] {mark} {conv['id']} ({res.user_turns} turns, {res.seconds:.1f} s)"
                + ("" if res.passed else f": {res.reasons[0][:150]}"),
                flush=True,
            )
    return results


def credentials(st: Any) -> Dict[str, Any]:
    """Rasa's channels for the run: REST, and the phone (IVR) channel verifying callers at the stack's backend."""
    sys.path.insert(0, str(ROOT / "tests" / "bot"))
    from channel_fixtures import SERVICE_KEY  # noqa: E402  (the key run_stack gives the backend)

    return {
        "rest": None,
        "bot.channels.ivr.IVRInput": {
            "webhook_secret": IVR_SECRET,
            "confidence_threshold": 0.6,
            "transfer_number": "12333",
            "backend_url": st.backend,
            "service_key": SERVICE_KEY,
        },
    }


def start_stack(tmp: Path, model: Optional[str]) -> Tuple[Generator[Any, None, None], Any]:
    """tests/bot/stack.py's run_stack (REST channel), as a generator kept open by the caller."""
    if model:
        os.environ["SZ_TEST_MODEL"] = str(Path(model).resolve())
    os.environ.setdefault("SZ_PASSWORD_HASH", "fast")
    sys.path.insert(0, str(ROOT / "tests" / "bot"))
    from stack import run_stack  # noqa: E402  (tests/bot/stack.py)

    gen = run_stack(tmp, credentials)
    st = next(gen)
    return gen, st


# ======================================================================================
# Figures and the report
# ======================================================================================
def rate(rs: List[Result]) -> str:
    if not rs:
        return "–"
    ok = sum(r.passed for r in rs)
    return f"{100.0 * ok / len(rs):.1f}% ({ok}/{len(rs)})"


def figures(results: List[Result]) -> Dict[str, Any]:
    acting_ok = [r.user_turns for r in results if r.passed and r.conv["expect"]["outcome"] in ACTING]
    by_outcome: Dict[str, List[Result]] = collections.defaultdict(list)
    by_item: Dict[str, List[Result]] = collections.defaultdict(list)
    for r in results:
        by_outcome[r.conv["expect"]["outcome"]].append(r)
        by_item[r.conv.get("item") or "-"].append(r)
    return {
        "overall": rate(results),
        "tuning": rate([r for r in results if not r.conv.get("heldout")]),
        "heldout": rate([r for r in results if r.conv.get("heldout")]),
        "median_turns_acting": statistics.median(acting_ok) if acting_ok else None,
        "by_outcome": {k: rate(v) for k, v in sorted(by_outcome.items(), key=lambda kv: OUTCOMES.index(kv[0]))},
        "by_outcome_heldout": {
            k: rate([r for r in v if r.conv.get("heldout")])
            for k, v in sorted(by_outcome.items(), key=lambda kv: OUTCOMES.index(kv[0]))
        },
        "by_item": {k: rate(v) for k, v in sorted(by_item.items())},
        "by_item_heldout": {k: rate([r for r in v if r.conv.get("heldout")]) for k, v in sorted(by_item.items())},
        "by_channel": {
            ch: rate([r for r in results if r.conv.get("channel", "rest") == ch])
            for ch in sorted({r.conv.get("channel", "rest") for r in results})
        },
    }


def failure_kind(r: Result) -> str:
    """A coarse automatic grouping of why a conversation failed (people write the real causes)."""
    text = " ".join(r.reasons)
    if "runner error" in text:
        return "runner error"
    if "wrong person" in text:
        return "wrong person"
    if "field " in text:
        return "wrong field value"
    if "also done" in text or ("got:" in text and "for " in text and "no transaction" not in text):
        return "wrong item / action done"
    if "no transaction" in text or "no new user account" in text:
        return "nothing done (conversation did not reach the backend)"
    if "after turn" in text:
        return "a step check failed"
    if "no reply" in text:
        return "no reply"
    return "wrong or missing reply"


def write_report(results: List[Result], path: Path, meta: Dict[str, str]) -> None:
    f = figures(results)
    old_causes = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if CAUSES_START in old and CAUSES_END in old:
            old_causes = old[old.index(CAUSES_START) + len(CAUSES_START) : old.index(CAUSES_END)].strip("\n")
    lines = (
        [
            "# Conversation report",
            "",
            "Produced by `bench/conversations.py` (do not edit by hand, except the failure-causes section at the end,",
            "which is kept when the report is rewritten). Whole conversations of `tests/conversations/*.yml`, written",
            "as residents write and speak, played over Rasa's REST channel (and a few as phone calls through the IVR",
            "channel) against a stack started for the run",
            "(real backend on a temporary SQLite database with the demo people, clock pinned inside the payment",
            "window, restored to the seeded state before each conversation); each outcome is checked in the",
            "backend's database (transaction / pre-application for the right item, person and values) and, for",
            "outcomes that change nothing, in the last reply. Held-out conversations (`heldout: true`) must not be",
            "used for tuning.",
            "",
            "| run | |",
            "|---|---|",
        ]
        + [f"| {k} | {v} |" for k, v in meta.items()]
        + [
            "",
            "## Figures",
            "",
            "| | right outcome |",
            "|---|---|",
            f"| **overall** | **{f['overall']}** |",
            f"| tuning set | {f['tuning']} |",
            f"| held-out set | {f['heldout']} |",
            f"| median user turns to a completed item or pre-application (right outcomes) | {f['median_turns_acting']} |",
            "",
            "### Per outcome class",
            "",
            "| expected outcome | all | held-out |",
            "|---|---|---|",
        ]
        + [f"| {k} | {v} | {f['by_outcome_heldout'][k]} |" for k, v in f["by_outcome"].items()]
        + [
            "",
            "### Per item or service",
            "",
            "| item | all | held-out |",
            "|---|---|---|",
        ]
        + [f"| {k} | {v} | {f['by_item_heldout'][k]} |" for k, v in f["by_item"].items()]
        + [
            "",
            "### Per channel",
            "",
            "| channel | right outcome |",
            "|---|---|",
        ]
        + [f"| {k} | {v} |" for k, v in f["by_channel"].items()]
    )
    failed = sorted((r for r in results if not r.passed), key=lambda r: bool(r.conv.get("heldout")))
    kinds = collections.Counter(failure_kind(r) for r in failed)
    lines += [
        "",
        "## Failures",
        "",
        f"{len(failed)} of {len(results)} conversations ended in a wrong outcome. "
        "Held-out ones come last, without their transcripts (they must stay unseen by whoever tunes the "
        "assistant; run `bench/conversations.py --heldout-only --json FILE` to read them when judging, "
        "not tuning).",
        "",
    ]
    if kinds:
        lines += ["| automatic grouping | conversations |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in kinds.most_common()] + [""]
    for r in failed:
        c = r.conv
        lines += (
            [
                f"### {c['id']}{' (held-out)' if c.get('heldout') else ''}",
                "",
                f"- user: {c.get('user') or '— (not logged in)'}; item: {c.get('item')}; expected: "
                f"{c['expect']['outcome']}"
                + (f" for {c['expect']['subject']}" if c["expect"].get("subject") else "")
                + (
                    f" with {json.dumps(c['expect'].get('fields'), ensure_ascii=False, default=str)}"
                    if c["expect"].get("fields")
                    else ""
                ),
                f"- actual: {r.actual.split(';')[0] if c.get('heldout') and r.actual.startswith('no change') else r.actual}",
            ]
            + [f"- {reason}" for reason in r.reasons]
            + (
                ["", "(transcript withheld: held-out)", ""]
                if c.get("heldout")
                else ["", "```text"] + r.transcript + ["```", ""]
            )
        )
    lines += [
        "## Most common failure causes (read from the transcripts)",
        "",
        CAUSES_START,
        old_causes or "_(not written yet)_",
        CAUSES_END,
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ids", help="comma-separated conversation ids to run (default: all)")
    ap.add_argument("--heldout-only", action="store_true", help="only the held-out conversations")
    ap.add_argument("--tuning-only", action="store_true", help="only the tuning conversations (heldout: false)")
    ap.add_argument("--file", help="only the conversations of this file of tests/conversations (e.g. situations.yml)")
    ap.add_argument("--model", help="model file (default: the newest in models/)")
    ap.add_argument("--report", default=str(REPORT), help="where to write the Markdown report ('' for none)")
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args(argv)

    convs = load_conversations()
    if args.ids:
        wanted = [i.strip() for i in args.ids.split(",") if i.strip()]
        unknown = set(wanted) - {c["id"] for c in convs}
        if unknown:
            ap.error(f"unknown ids: {sorted(unknown)}")
        convs = [c for c in convs if c["id"] in wanted]
    if args.file:
        convs = [c for c in convs if c["file"] == Path(args.file).name]
    if args.heldout_only:
        convs = [c for c in convs if c.get("heldout")]
    if args.tuning_only:
        convs = [c for c in convs if not c.get("heldout")]
    subset = bool(args.ids or args.file or args.heldout_only or args.tuning_only)
    print(f"{len(convs)} conversations", flush=True)

    with tempfile.TemporaryDirectory(prefix="sz-conversations-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.monotonic()
        gen, st = start_stack(tmp, args.model)
        try:
            state = BackendState(tmp / "backend.sqlite3", tmp / "seeded.sqlite3")
            state.take_snapshot()
            print(f"stack up in {time.monotonic() - t0:.0f} s", flush=True)
            t1 = time.monotonic()
            results = run_all(convs, st.backend, st.rasa, state)
            took = time.monotonic() - t1
        finally:
            gen.close()
    from stack import model as stack_model  # noqa: E402  (the model run_stack served)

    f = figures(results)
    meta = {
        "date (UTC)": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "commit": git_head(),
        "model": Path(args.model).name if args.model else stack_model().name,
        "conversations": f"{len(results)} ({sum(1 for r in results if r.conv.get('heldout'))} held-out)"
        + (" — a subset (--ids/--file/--heldout-only/--tuning-only)" if subset else ""),
        "time": f"{took:.0f} s for the conversations ({took / max(len(results), 1):.1f} s each)",
    }
    print(f"\nright outcome overall: {f['overall']}   tuning: {f['tuning']}   held-out: {f['heldout']}")
    print(f"median user turns to a completed item / pre-application: {f['median_turns_acting']}")
    for k, v in f["by_outcome"].items():
        print(f"  {k:16s} {v}   held-out {f['by_outcome_heldout'][k]}")
    if args.report:
        write_report(results, Path(args.report), meta)
        print(f"report: {args.report}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "passed": r.passed,
                        "reasons": r.reasons,
                        "user_turns": r.user_turns,
                        "actual": r.actual,
                        "transcript": r.transcript,
                    }
                    for r in results
                ],
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
