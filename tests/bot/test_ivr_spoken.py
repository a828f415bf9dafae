"""What the phone says: every prompt short enough for the ear, "0" and "*" everywhere.

The phone channel (``bot.channels.ivr.IVRInput``, a real Sanic server) is driven
as a speech front end would drive it, over every business path: each catalogue
item and service (``bot.actions.tasks.TASK_INTENTS``) is asked for on a call by a
demo person the REAL backend says may use it, after caller verification by keys;
the questions are answered by speech, choices and confirmations by key, and the
outcome's serial number is sent by SMS (key 9) to the development outbox.

Rasa's part is played by the REAL actions (``bot/actions``) through the driver of
tests/bot/test_actions_flow.py: the test says which intent an utterance is (no
trained model needed); the actions, the backend and the channel decide
everything else. The domain's own responses (domain.yml and
bot/data/responses/*.yml, every variant, Chinese and English) are spoken through
the same channel.

At every prompt of every call the test presses "*" (the same prompt again) and,
on a copy of the call's state, "0" (a transfer to a person). Every answer is
measured: characters as heard (``rendering.spoken_chars``: CJK characters,
digits and spelled letters; an English word counts 2) and a text-to-speech
estimate (``rendering.tts_seconds``); both must stay within 90 characters / 20 s;
no web words (点击, 链接, 登录网站, click, link), no URLs, no Chinese in an
English call. The figures are printed (``-s``) and written to
``var/ivr-spoken-lengths.txt``.
"""

from __future__ import annotations

import asyncio
import glob
import json
import re
from itertools import count
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import yaml

pytest.importorskip("rasa")

import actions_driver as driver  # noqa: E402  (plays the Rasa server around the actions)
from actions_driver import PEOPLE, answer, who_may  # noqa: E402
from channel_fixtures import PHONE_PIN, SanicServer, id_number  # noqa: E402

from bot.actions.items import ActionCancelTask, ActionReviewTask, ActionStartTask, ActionSubmitTask  # noqa: E402
from bot.actions.tasks import ITEM_CODES, TASK_INTENTS  # noqa: E402
from bot.channels.ivr import PROMPTS, IVRInput, spoken_problems  # noqa: E402
from bot.channels.rendering import (
    PHONE_MAX_CHARS,
    PHONE_MAX_SECONDS,
    WEB_WORDS_EN,
    WEB_WORDS_ZH,  # noqa: E402
    spoken_chars,
    tts_seconds,
)
from bot.channels.sms import read_outbox  # noqa: E402

# the actions run against this module's backend (conftest.py)
pytestmark = pytest.mark.usefixtures("client")

REPO = Path(__file__).resolve().parents[2]
SECRET = "ivr-spoken-secret"
PHONES = {
    "zhangwei": "13800138001",
    "lina": "13800138002",
    "chenjing": "13800138003",
    "huangqiang": "13800138004",
    "liuyang": "13800138005",
    "zhaojianguo": "13800138006",
    "sunli": "13800138007",
    "zhoumin": "13800138008",
    "wugang": "13800138009",
    "qianfang": "13800138010",
    "heli": "13800138011",
    "machao": "13800138012",
    "gaoyuan": "13800138013",
}
_ids = count(1)


# ---------------------------------------------------------------- Rasa's part: the real actions


def domain_responses() -> Dict[str, List[Dict[str, Any]]]:
    """The domain's responses as Rasa sends them: through its interpolator, which turns the
    escaped braces of button payloads (``/inform{{"choice":"1"}}``) into single ones."""
    from rasa.core.nlg.interpolator import interpolate

    found: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted([str(REPO / "domain.yml")] + glob.glob(str(REPO / "bot/data/responses/*.yml"))):
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            for v in variants:
                if isinstance(v, dict):
                    sent = {**v, "buttons": interpolate(v["buttons"], {})} if v.get("buttons") else v
                    found.setdefault(name, []).append(sent)
    return found


RESPONSES = domain_responses()


def response(name: str, lang: str) -> Dict[str, Any]:
    """The variant Rasa would pick for the language (condition on the `language` slot)."""
    for variant in RESPONSES.get(name, []):
        cond = variant.get("condition") or []
        if any(c.get("name") == "language" and c.get("value") == lang for c in cond):
            return variant
    return next(v for v in RESPONSES[name] if not v.get("condition"))


class ActionsBot:
    """Stands in for Rasa: the intent of each utterance comes from the test (``intent``), the
    replies from the real actions and the domain's responses."""

    def __init__(self) -> None:
        self.chats: Dict[str, driver.Chat] = {}
        self.intent: Dict[str, Tuple[str, Dict[str, Any]]] = {}  # call id -> intent of its next utterance
        self.canned: Dict[str, List[Dict[str, Any]]] = {}  # text -> messages (a domain response)

    async def __call__(self, message: Any) -> None:
        chat = self.chats.setdefault(message.sender_id, driver.Chat(sender=message.sender_id, channel="ivr"))
        chat.token = (message.metadata or {}).get("auth_token")
        if message.text in self.canned:
            out = self.canned[message.text]
        else:
            out = await asyncio.get_running_loop().run_in_executor(
                None, self._turn, chat, message.text, message.sender_id
            )
        for m in out:
            await message.output_channel.send_response(message.sender_id, dict(m))

    def _form(self, chat: driver.Chat) -> List[Dict[str, Any]]:
        state = chat.form()
        said = list(chat.messages)
        if state == "done":
            chat.run(ActionReviewTask())
            said += chat.messages
        return [self._utter(m, chat) for m in said]

    def _utter(self, m: Dict[str, Any], chat: driver.Chat) -> Dict[str, Any]:
        placeholder = re.fullmatch(r"<(utter_ask_\w+)>", str(m.get("text") or ""))
        if placeholder:
            return response(placeholder.group(1), chat.slots["language"] or "zh")
        return m

    def _turn(self, chat: driver.Chat, text: str, sender: str) -> List[Dict[str, Any]]:
        stage = chat.slots["task_stage"]
        if text == "/affirm":
            chat.user(text, "affirm")
            chat.run(ActionSubmitTask())
            out = list(chat.messages)
            if chat.slots["task_stage"] == "collect":
                out += self._form(chat)
            return out
        if text == "/cancel":
            chat.user(text, "cancel")
            chat.active_loop = {}
            chat.run(ActionCancelTask())
            return list(chat.messages)
        choice = re.fullmatch(r"/(\w+)(\{.*\})?", text)
        if choice:  # a button payload: the intent and its entities, as Rasa reads it
            chat.user(text, choice.group(1), json.loads(choice.group(2) or "{}"))
        elif stage == "collect":
            chat.user(text, "inform")
            return self._form(chat)
        else:
            intent, entities = self.intent.pop(sender)
            chat.user(text, intent, entities)
        chat.run(ActionStartTask())
        out = list(chat.messages)
        if chat.slots["task_stage"] == "collect":
            out += self._form(chat)
        return out


# ---------------------------------------------------------------- the phone


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sms") / "outbox.jsonl"


@pytest.fixture(scope="module")
def bot() -> ActionsBot:
    return ActionsBot()


@pytest.fixture(scope="module")
def channel(backend_url: str, outbox: Path) -> IVRInput:
    from channel_fixtures import SERVICE_KEY

    return IVRInput.from_credentials(
        {"backend_url": backend_url, "service_key": SERVICE_KEY, "webhook_secret": SECRET, "sms_outbox": str(outbox)}
    )


@pytest.fixture(scope="module")
def server(channel: IVRInput, bot: ActionsBot) -> Iterator[SanicServer]:
    srv = SanicServer({"/webhooks/ivr": channel.blueprint(bot)}).start()
    yield srv
    srv.stop()


MEASURED: List[Tuple[str, int, float, str]] = []


def check_spoken(out: Dict[str, Any], where: str, english: bool = False) -> None:
    text = out["text"]
    chars, seconds = spoken_chars(text, english), tts_seconds(text, english)
    MEASURED.append((where, chars, seconds, text))
    assert chars <= PHONE_MAX_CHARS and seconds <= PHONE_MAX_SECONDS, f"{where}: {chars} chars, {seconds} s: {text}"
    assert spoken_problems(text) == [] and spoken_problems(out["ssml"]) == [], f"{where}: {text}"
    words = WEB_WORDS_EN if english else WEB_WORDS_ZH
    assert not [w for w in words if w in text.lower()], f"{where}: web words in {text}"
    if english:
        assert not re.search(r"[\u3400-\u9fff]", text), f"{where}: Chinese in an English call: {text}"


class PhoneCall:
    def __init__(self, server: SanicServer, channel: IVRInput, caller: Optional[str], name: str) -> None:
        self.server, self.channel, self.caller, self.name = server, channel, caller, name
        self.call_id = f"spoken-{next(_ids)}"
        self.english = False
        self.last: Optional[Dict[str, Any]] = None

    def send(self, call_id: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        body = {"call_id": call_id or self.call_id, **fields}
        if self.caller:
            body["caller"] = self.caller
        r = requests.post(
            self.server.url + "/webhooks/ivr/webhook", json=body, headers={"X-IVR-Secret": SECRET}, timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()

    def turn(self, where: str, **fields: Any) -> Dict[str, Any]:
        out = self.send(**fields)
        check_spoken(out, f"{self.name} {where}", self.english)
        if out["expect"] is not None:
            self.honours_star_and_zero(out, where)
        self.last = out
        return out

    def honours_star_and_zero(self, out: Dict[str, Any], where: str) -> None:
        again = self.send(event="dtmf", digits="*")
        assert (again["text"], again["expect"]) == (out["text"], out["expect"]), f"{where}: * did not repeat"
        # "0" on a copy of this call's state: a person, whatever the prompt
        key = self.channel._state_key(self.call_id)
        state = self.server.call(self.channel.state.get(key))
        fork = f"{self.call_id}-fork-{next(_ids)}"
        self.server.call(self.channel.state.set(self.channel._state_key(fork), dict(state, call_id=fork), 60))
        person = self.send(call_id=fork, event="dtmf", digits="0")
        assert person["transfer"] == {"number": "12333", "reason": "caller_request"}, f"{where}: 0 -> {person}"
        check_spoken(person, f"{self.name} {where} [0]", self.english)

    def say(self, where: str, transcript: str) -> Dict[str, Any]:
        return self.turn(where, event="speech", transcript=transcript, confidence=0.9)

    def keys(self, where: str, digits: str) -> Dict[str, Any]:
        return self.turn(where, event="dtmf", digits=digits)


def tail_of(user: str) -> str:
    name, area, birth, seq = PEOPLE[user]
    return id_number(area, birth, seq)[-4:]


def verified_call(server: SanicServer, channel: IVRInput, user: str, name: str) -> PhoneCall:
    call = PhoneCall(server, channel, PHONES[user], name)
    out = call.turn("greeting", event="call_start")
    assert "身份证号码后四位" in out["text"]
    out = call.keys("id tail", tail_of(user).replace("X", "*") + "#")
    assert "电话服务密码" in out["text"]
    out = call.keys("pin", PHONE_PIN + "#")
    assert out["text"].startswith("身份验证成功"), out["text"]
    return call


def run_item(call: PhoneCall, bot: ActionsBot, code: str, user: str, request: str, lang: str = "zh") -> str:
    bot.intent[call.call_id] = (code, {})
    out = call.say("request", request)
    for step in range(16):
        chat = bot.chats[call.call_id]
        stage = chat.slots["task_stage"]
        if out["expect"] is None or stage == "idle":
            return out["text"]
        if stage == "register":
            # Registration runs its own form (bot/actions/registration.py), which this stand-in for
            # Rasa does not play: its questions are spoken-length checked with every other domain
            # response (test_domain_responses_spoken) and the dialogue runs over a real stack in
            # tests/bot/test_registration_e2e.py.
            return out["text"]
        if stage in ("choose", "confirm"):
            assert out["expect"]["type"] == "dtmf", out
            out = call.keys(f"{stage} {step}", "1")  # the first child / confirm
        elif stage == "collect":
            slot = chat.slots["requested_slot"]
            said = "YS2026000000018" if slot == "pre_application_number" else answer(slot, user)
            out = call.say(f"ask {slot}", said)
        else:
            raise AssertionError(f"unexpected stage {stage}: {out['text']}")
    raise AssertionError(f"{code}: no outcome after 16 turns")


_names: Dict[str, str] = {}
CALLS: Dict[str, PhoneCall] = {}


def names(backend_url: str) -> Dict[str, str]:
    """Item and service names as a caller would say them (the backend's catalogue)."""
    if not _names:
        body = requests.get(f"{backend_url}/catalogue", timeout=10).json()
        for entry in body.get("items", []) + body.get("services", []):
            _names[entry["code"]] = entry["name_zh"]
    return _names


def user_for(backend_url: str, code: str) -> str:
    if code not in ITEM_CODES:  # services and vague requests: anyone
        return "zhangwei"
    found = who_may(backend_url, code)
    user = found[0] if found else "zhangwei"
    return user if user in PEOPLE else "zhangwei"


@pytest.mark.parametrize("code", TASK_INTENTS)
def test_every_business_path_by_phone(
    server: SanicServer, channel: IVRInput, bot: ActionsBot, backend_url: str, outbox: Path, code: str
) -> None:
    user = user_for(backend_url, code)
    # one call per person, several requests in it (an item may change the person's phone number)
    if user not in CALLS:
        CALLS[user] = verified_call(server, channel, user, f"{code}[{user}]")
    call = CALLS[user]
    call.name = f"{code}[{user}]"
    final = run_item(call, bot, code, user, f"我要办理{names(backend_url).get(code, '这项业务')}")
    number = re.search(r"(?:S Z|Y S)((?: \d)+)", final)
    if number:  # a serial or pre-application number: read twice, offered by SMS
        digits = number.group(1)
        assert final.count(digits) == 2, final
        assert "按9" in final
        before = len(read_outbox(outbox))
        out = call.keys("sms", "9")
        assert "短信已发送" in out["text"]
        sms = read_outbox(outbox)[before:]
        assert len(sms) == 1 and sms[0]["to"] == PHONES[user] and digits.replace(" ", "") in sms[0]["text"]
    print(f"PHONE {code} [{user}]: {final}")


def test_english_caller_hears_english_only(
    server: SanicServer, channel: IVRInput, bot: ActionsBot, backend_url: str
) -> None:
    call = CALLS.get("machao") or verified_call(server, channel, "machao", "english")
    call.name, call.english = "english", True
    final = run_item(call, bot, "query_contributions", "machao", "I want to see my contribution records please")
    assert re.search(r"[A-Za-z]", final)
    print(f"PHONE english: {final}")
    out = call.say("filler", "hello hello can you hear me")
    assert out["text"] == PROMPTS["filler"][1]


def test_domain_responses_spoken(server: SanicServer, channel: IVRInput, bot: ActionsBot) -> None:
    """Every variant of every response the domain has, in the language of its condition."""
    for name, variants in RESPONSES.items():
        for i, variant in enumerate(variants):
            english = any(c.get("value") == "en" for c in (variant.get("condition") or []))
            call = PhoneCall(server, channel, "13800138001", f"{name}#{i}")
            call.turn("greeting", event="call_start")
            trigger = f"please say the response {name} number {i}" if english else f"请说回复{name}第{i}个"
            message = {k: v for k, v in variant.items() if k in ("text", "buttons", "custom", "image")}
            bot.canned[trigger] = [message]
            call.say("skip", "只咨询")
            call.english = english
            out = call.say("response", trigger)
            if variant.get("text") and not out["transfer"]:
                assert out["text"], name


def test_filler_bad_keys_and_sms_offer(server: SanicServer, channel: IVRInput, bot: ActionsBot, outbox: Path) -> None:
    call = PhoneCall(server, channel, "13800138002", "filler")
    call.turn("greeting", event="call_start")
    out = call.say("filler", "喂喂 听得到吗")
    assert out["text"] == "请说出您要办理的业务。"
    out = call.turn("bad keys", event="dtmf", digits="A")
    assert out["text"].startswith("没有识别到有效的按键") and out["expect"]["type"] == "speech"
    faq = response("utter_faq/online_items", "zh")
    bot.canned["网上能办哪些业务"] = [{"text": faq["text"]}]
    out = call.say("faq", "网上能办哪些业务")
    assert "按9" in out["text"] and len(faq["text"]) > PHONE_MAX_CHARS
    before = len(read_outbox(outbox))
    out = call.say("sms by voice", "发短信")
    assert "短信已发送" in out["text"]
    assert read_outbox(outbox)[before:][0]["text"].startswith(faq["text"][:40])


def test_zzz_report_spoken_lengths() -> None:
    """Print and keep the measurements (runs last in this module)."""
    if not MEASURED:
        pytest.skip("nothing measured")
    longest = sorted(MEASURED, key=lambda m: -m[2])[:15]
    lines = [
        f"{len(MEASURED)} phone prompts measured; limits {PHONE_MAX_CHARS} characters, {PHONE_MAX_SECONDS} s",
        f"max characters {max(m[1] for m in MEASURED)}, max TTS estimate {max(m[2] for m in MEASURED)} s, "
        f"mean {sum(m[2] for m in MEASURED) / len(MEASURED):.1f} s",
        "longest:",
    ]
    lines += [f"  {s:5.1f} s {c:3d} ch  {w}: {t}" for w, c, s, t in longest]
    report = "\n".join(lines)
    print(report)
    out = REPO / "var" / "ivr-spoken-lengths.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    (REPO / "var" / "ivr-spoken-all.txt").write_text(
        "".join(f"{s:5.1f} s {c:3d} ch  {w}: {t}\n" for w, c, s, t in MEASURED), encoding="utf-8"
    )
