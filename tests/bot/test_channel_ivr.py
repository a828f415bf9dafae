"""The phone (IVR) channel, replaying what speech front ends send.

Recorded-style turns: transcripts with homophone errors (设保, 停报), low
confidence with n-best alternatives, DTMF, spoken digits, no-input and hangup
events. Caller verification runs against a REAL backend process. A fake
``on_new_message`` plays Rasa (no trained model); the identity prompt it
returns is what the actions dispatch (``bot.actions.identity.login_help``
through ``bot.actions.common.say``: the text plus the custom payload
``{"signal": "verify_identity"}``), and the handoff carries
``{"signal": "handoff"}`` like ``action_handoff``: the channel acts on those
signals, not on the wording. Every spoken answer is checked for anything
unspeakable. (tests/bot/test_channels_e2e.py runs the same channel against the
real Rasa server, action server and backend.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

pytest.importorskip("rasa")

from channel_fixtures import PHONE_PIN, FakeBot, SanicServer  # noqa: E402
from ivr_driver import (  # noqa: E402
    CONFIRM_BUTTONS,
    SECRET,
    ZHANGWEI_TAIL,
    Call,
    _calls,
    assert_speakable,
    script,  # noqa: F401  (what conftest.py's bot answers)
    start_ivr_server,
)
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.actions.common import say as action_say
from bot.actions.identity import login_help  # noqa: E402
from bot.channels.ivr import (
    IVRInput,
    normalise_digits,
    normalise_phone,
    normalise_transcript,  # noqa: E402
    parse_request,
    spoken_code,
    spoken_problems,
)
from bot.channels.rendering import speech_render  # noqa: E402

# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(backend_url: str, bot: FakeBot) -> Iterator[SanicServer]:
    yield from start_ivr_server(backend_url, bot)


# ---------------------------------------------------------------- protocol


def test_requests_are_checked(server: SanicServer) -> None:
    url = server.url + "/webhooks/ivr/webhook"
    assert requests.post(url, json={"call_id": "x", "event": "call_start"}, timeout=5).status_code == 401
    assert requests.post(url, json={"call_id": "x"}, headers={"X-IVR-Secret": "wrong"}, timeout=5).status_code == 401
    ok = {"Authorization": f"Bearer {SECRET}"}
    assert requests.post(url, json={"event": "call_start"}, headers=ok, timeout=5).status_code == 400
    bad_keys = requests.post(url, json={"call_id": "x", "digits": "12;3"}, headers=ok, timeout=5)
    assert bad_keys.status_code == 200 and bad_keys.json()["text"].startswith("没有识别到有效的按键")  # a reprompt
    assert requests.post(url, data=b"not json", headers=ok, timeout=5).status_code == 400
    assert requests.get(server.url + "/webhooks/ivr/", timeout=5).json() == {"status": "ok"}


def test_call_start_asks_for_the_id_tail_by_key(server: SanicServer) -> None:
    out = Call(server).start()
    assert out["text"].startswith("您好")
    assert "身份证号码后四位" in out["text"] and "星号键" in out["text"] and "井号键" in out["text"]
    assert out["text"].endswith("以井号键结束。转人工请按0。")  # what to do comes last
    assert out["expect"] == {
        "type": "dtmf",
        "max_digits": 4,
        "submit_key": "#",
        "timeout_seconds": 15,
        "allow_speech": True,
    }
    assert out["end_call"] is False and out["transfer"] is None


def test_withheld_caller_number_answers_questions_only(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server, caller=None)
    out = call.start()
    assert "来电号码" in out["text"] and out["expect"]["type"] == "speech"
    call.say("我要停保")
    assert "auth_token" not in bot.last(call.call_id)["metadata"]


# ---------------------------------------------------------------- verification (real backend)


def test_verification_then_token_in_metadata_and_dtmf_confirmation(
    server: SanicServer, bot: FakeBot, backend_url: str
) -> None:
    call = Call(server)
    call.start()
    out = call.verify()
    assert out["text"] == "身份验证成功。请问您要办理什么业务？"
    assert out["expect"]["type"] == "speech"

    out = call.say("我要给孩子停保")
    got = bot.last(call.call_id)
    assert got["sender_id"] == call.call_id and got["input_channel"] == "ivr"
    assert got["metadata"]["channel"] == "ivr"
    token = got["metadata"]["auth_token"]
    me = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["name"] == "张伟"
    # the confirmation: spoken for the ear, question then the key options last
    assert out["text"].endswith("确认办理吗？确认请按1，取消请按2。")
    assert "尾号1 1 1X" in out["text"] and "2026年12月" in out["text"]
    assert out["expect"] == {
        "type": "dtmf",
        "max_digits": 1,
        "submit_key": None,
        "timeout_seconds": 10,
        "allow_speech": False,
    }

    # a state-changing item is confirmed by key only
    out = call.say("确认")
    assert "按键确认" in out["text"] and out["text"].endswith("确认请按1，取消请按2。")
    assert bot.texts(call.call_id)[-1] == "我要给孩子停保"

    out = call.keys("1")
    assert bot.last(call.call_id)["text"] == "/affirm"
    assert "登录网站" not in out["text"] and "要短信接收详细内容请按9" in out["text"]  # the rest by SMS
    assert out["text"].startswith("已办结：少儿医保停保。")
    assert out["ssml"].count('<say-as interpret-as="digits">20261127000123</say-as>') == 2  # read twice
    assert "2 0 2 6 1 1 2 7 0 0 0 1 2 3，再说一遍，2 0 2 6 1 1 2 7 0 0 0 1 2 3" in out["text"]
    assert out["text"].endswith("请问还有什么可以帮您？")


def test_spoken_id_tail_and_homophones(server: SanicServer, bot: FakeBot) -> None:
    spoken = {
        "0": "零",
        "1": "幺",
        "2": "二",
        "3": "三",
        "4": "四",
        "5": "五",
        "6": "六",
        "7": "七",
        "8": "八",
        "9": "九",
        "X": "叉",
    }
    call = Call(server)
    call.start()
    out = call.say("".join(spoken[c] for c in ZHANGWEI_TAIL), confidence=0.81)
    assert "电话服务密码" in out["text"] and out["expect"]["allow_speech"] is False
    out = call.keys(PHONE_PIN + "#")
    assert out["text"].startswith("身份验证成功")
    call.say("设保怎么交")
    assert bot.last(call.call_id)["text"] == "社保怎么交"
    call.say("我要停报")
    assert bot.last(call.call_id)["text"] == "我要停保"
    assert bot.last(call.call_id)["metadata"].get("auth_token")


def test_spoken_pin_is_never_passed_on(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    call.keys(ZHANGWEI_TAIL.replace("X", "*") + "#")
    out = call.say("二零二六一一")
    assert "请不要说出来" in out["text"] and out["expect"]["type"] == "dtmf"
    assert bot.texts(call.call_id) == []
    assert call.keys(PHONE_PIN + "#")["text"].startswith("身份验证成功")


def test_failed_verification_three_times_transfers_to_12333(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    out = call.verify(pin="000000")
    assert "没有通过" in out["text"] and out["transfer"] is None
    out = call.verify(tail="0000")
    assert "没有通过" in out["text"]
    out = call.verify(pin="123456")
    assert out["transfer"] == {"number": "12333", "reason": "verification_failed"}
    assert out["expect"] is None and "转接人工" in out["text"]
    assert bot.texts(call.call_id) == []


def test_unverified_personal_item_starts_verification_and_replays_the_request(
    server: SanicServer, bot: FakeBot
) -> None:
    call = Call(server)
    call.start()
    out = call.say("设保怎么交")  # a question instead of keys: answered, unverified
    assert "auth_token" not in bot.last(call.call_id)["metadata"]
    assert out["text"] == "缴费方式。网上缴费。银行代扣：每月15日扣款。要短信接收详细内容请按9。请问还有什么可以帮您？"
    out = call.say("我要停保")
    assert "核实身份" in out["text"] and out["text"].endswith("以井号键结束。")
    assert out["expect"]["type"] == "dtmf" and out["expect"]["max_digits"] == 4
    out = call.verify()
    assert out["text"].startswith("身份验证成功。") and out["text"].endswith("确认请按1，取消请按2。")
    assert bot.texts(call.call_id) == ["社保怎么交", "我要停保", "我要停保"]
    assert bot.last(call.call_id)["metadata"].get("auth_token")


# ---------------------------------------------------------------- recognition


def test_low_confidence_is_confirmed_using_the_nbest_and_domain_terms(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    call.say("只咨询")
    out = call.say(
        "我要挺好",
        confidence=0.41,
        alternatives=[{"transcript": "我要停报", "confidence": 0.38}, {"transcript": "我要听好", "confidence": 0.2}],
    )
    assert out["text"] == "您是说“我要停保”吗？确认请按1，重说请按2。"
    assert out["expect"]["type"] == "dtmf"
    assert bot.texts(call.call_id) == []
    call.keys("1")
    assert bot.texts(call.call_id) == ["我要停保"]

    out = call.say("社保转储", confidence=0.3)
    assert out["text"] == "您是说“社保转出”吗？确认请按1，重说请按2。"
    assert call.keys("2")["text"] == "好的，请再说一遍。"
    out = call.say("医保怎么交", confidence=0.5)
    assert call.say("是的")["text"] != out["text"]
    assert bot.texts(call.call_id) == ["我要停保", "医保怎么交"]


def test_asking_to_hear_the_prompt_again_repeats_it_in_other_words_too(server: SanicServer, bot: FakeBot) -> None:
    """A caller who did not catch the verification prompt asks for it in their own words: the prompt comes
    again as it was (nothing reaches the dialogue); a longer sentence that only contains such words does not."""
    call = Call(server)
    first = call.start()
    for asked in ("你说什么？再说一遍", "喂 没听清", "啥来着", "sorry, come again?", "Could you repeat that"):
        out = call.say(asked)
        assert (out["text"], out["expect"]) == (first["text"], first["expect"]), asked
    assert bot.texts(call.call_id) == []
    call.say("我没听清楚上次客服说的停保要什么材料")
    assert bot.texts(call.call_id) == ["我没听清楚上次客服说的停保要什么材料"]


def test_no_input_reprompts_twice_then_transfers(server: SanicServer) -> None:
    call = Call(server)
    first = call.start()
    out = call.send(event="no_input")
    # the short form of the prompt, no greeting
    assert out["text"] == "抱歉，没有听到您的声音。请按键输入身份证号码后四位，X按星号键，以井号键结束。"
    assert out["expect"] == first["expect"]
    out = call.send(reason="timeout")  # Jambonz-style: no event, reason=timeout
    assert out["text"].startswith("抱歉，没有听到您的声音。转人工请按0。") and out["transfer"] is None
    assert out["text"].endswith("以井号键结束。")
    out = call.send(event="no_input")
    assert out["transfer"] == {"number": "12333", "reason": "no_input"}
    assert out["expect"] is None


def test_no_input_counter_resets_after_an_answer_and_reprompts_are_short(server: SanicServer) -> None:
    call = Call(server)
    call.start()
    call.send(event="no_input")
    call.send(event="no_input")
    call.say("只咨询")
    call.verify()
    call.say("我要停保")
    out = call.send(event="no_input")
    assert out["text"] == "抱歉，没有听到您的声音。确认请按1，取消请按2。"
    assert call.send(event="no_input")["transfer"] is None
    call.keys("2")
    assert call.send(event="no_input")["text"] == "抱歉，没有听到您的声音。请问还有什么可以帮您？"


def test_handoff_goodbye_key_zero_and_hangup(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    call.say("跳过")
    out = call.say("我要转人工")
    assert out["transfer"] == {"number": "12333", "reason": "assistant"} and out["expect"] is None
    assert out["text"] == "正在为您转接人工服务，请稍候。"  # not the web's "请拨打12333" before the transfer

    call = Call(server)
    call.start()
    call.say("只咨询")
    out = call.say("好的再见")
    assert out["end_call"] is True and out["expect"] is None
    call2 = Call(server)
    call2.start()
    call2.say("只咨询")
    assert call2.keys("0")["transfer"]["reason"] == "caller_request"
    assert call2.send(event="hangup")["end_call"] is True
    assert call2.keys("0")["transfer"]["reason"] == "caller_request"  # an unknown call is handled fresh


def test_signals_not_wording_decide_verification_and_transfer(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    call.say("只咨询")
    out = call.say("电话验证怎么做")  # the answer talks about verification: no signal, no prompt
    assert "身份验证" in out["text"] and out["expect"]["type"] == "speech"
    assert out["text"].endswith("请问还有什么可以帮您？")
    out = call.say("人工几点上班")  # the answer mentions 转接人工: no signal, no transfer
    assert "转接人工" in out["text"] and out["transfer"] is None and out["expect"]["type"] == "speech"
    out = call.say("我要停保")  # the verify_identity signal: the channel asks for the ID tail
    assert out["expect"]["type"] == "dtmf" and out["expect"]["max_digits"] == 4
    assert "signal" not in out["text"] and "verify_identity" not in out["ssml"]
    out = call.say("我要转人工")  # the handoff signal: transfer, nothing pending
    assert out["transfer"] == {"number": "12333", "reason": "assistant"} and out["expect"] is None


def test_verification_signal_without_a_caller_number_offers_a_person(server: SanicServer) -> None:
    call = Call(server, caller=None)
    call.start()
    out = call.say("我要停保")
    assert "来电号码" in out["text"] and "按0" in out["text"] and out["transfer"] is None
    assert out["expect"]["type"] == "speech" and out["text"].endswith("请按0转人工。")
    assert call.keys("0")["transfer"]["reason"] == "caller_request"


def test_actions_send_the_signals_as_custom_payloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The actions' side of the contract (no backend: the handoff falls back to its fixed text)."""
    import asyncio

    from channel_fixtures import free_port
    from rasa_sdk import Tracker

    from bot.actions import backend_client, common
    from bot.actions.handoff import ActionHandoff
    from bot.channels import rendering
    from bot.channels.rendering import signals, web_message, wechat_render

    # the two sides of the contract use the same names (the action server does not import the channels)
    assert (common.SIGNAL_KEY, common.VERIFY_IDENTITY, common.HANDOFF, common.END_CALL) == (
        rendering.SIGNAL_KEY,
        rendering.VERIFY_IDENTITY,
        rendering.HANDOFF,
        rendering.END_CALL,
    )

    for lang, kind, expired in (("zh", "phone", False), ("en", "wechat", True)):
        dispatcher = CollectingDispatcher()
        action_say(dispatcher, lang, login_help("zh", kind, expired), login_help("en", kind, expired))
        (message,) = dispatcher.messages
        assert message["custom"] == {"signal": "verify_identity", "reason": "expired" if expired else "required"}
        assert type(message["text"]) is str and message["text"] == login_help(lang, kind, expired)
    backend_client.set_client(backend_client.BackendClient(f"http://127.0.0.1:{free_port()}", timeout=(0.3, 0.3)))
    try:
        tracker = Tracker(
            "call-x",
            {"language": "zh"},
            {"text": "转人工", "metadata": {"channel": "ivr"}},
            [{"event": "user", "text": "转人工", "input_channel": "ivr"}],
            False,
            None,
            {},
            None,
        )
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ActionHandoff().run(dispatcher, tracker, {}))
    finally:
        backend_client.set_client(None)
    (message,) = dispatcher.messages
    assert message["custom"] == {"signal": "handoff", "number": "12333", "reason": "user_request"}
    assert "12333" in message["text"] and "正在为您转接人工" in message["text"]
    assert {"event": "slot", "name": "handoff_requested", "value": True, "timestamp": None} in events
    # the channels: the signal is read, never shown or spoken
    as_sent = [{"text": message["text"]}, {"custom": message["custom"]}]  # Rasa sends them one by one
    assert set(signals(as_sent)) == {"handoff"}
    assert "signal" not in speech_render(as_sent).text and "handoff" not in speech_render(as_sent).ssml
    assert "signal" not in wechat_render(as_sent).text
    assert web_message({"custom": message["custom"]}) is None
    assert web_message({"text": "好", "custom": message["custom"]}) == {"text": "好"}
    assert web_message({"custom": {"text": "卡片"}}) == {"custom": {"text": "卡片"}}


def test_bot_failure_is_spoken_as_busy(server: SanicServer) -> None:
    call = Call(server)
    call.start()
    call.say("只咨询")
    out = call.say("boom")
    assert "系统繁忙" in out["text"] and out["expect"]["type"] == "speech"


def test_jambonz_style_request_is_understood(server: SanicServer, bot: FakeBot) -> None:
    call_sid = f"jambonz-{next(_calls)}"
    url = server.url + "/webhooks/ivr/webhook"
    hdr = {"X-IVR-Secret": SECRET}
    requests.post(
        url, json={"call_sid": call_sid, "from": "13800138002", "event": "call_start"}, headers=hdr, timeout=10
    )
    requests.post(
        url,
        json={
            "call_sid": call_sid,
            "from": "13800138002",
            "reason": "speechDetected",
            "speech": {"alternatives": [{"transcript": "只咨询", "confidence": 0.9}]},
        },
        headers=hdr,
        timeout=10,
    )
    out = requests.post(
        url,
        json={
            "call_sid": call_sid,
            "reason": "speechDetected",
            "speech": {"alternatives": [{"transcript": "设保怎么交", "confidence": 0.88}]},
        },
        headers=hdr,
        timeout=10,
    ).json()
    assert_speakable(out)
    assert bot.last(call_sid)["text"] == "社保怎么交"


# ---------------------------------------------------------------- units


def test_speech_normalisation_units() -> None:
    assert normalise_digits("四四零三幺叉") == "44031X"
    assert normalise_digits("我的身份证后四位是一二三四") == "我的身份证后四位是1234"
    assert normalise_digits("缴费三百元") == "缴费300元"
    assert normalise_digits("二零二六年十一月") == "2026年11月"
    assert normalise_digits("了解一下") == "了解一下"
    assert spoken_code("幺二三叉") == "123X"
    assert normalise_transcript("设保停报") == "社保停保"
    assert normalise_transcript("工商银行扣款") == "工商银行扣款"  # a real word stays
    assert normalise_transcript("我要举报") == "我要举报"
    assert normalise_phone("+86 138-0013-8001") == "13800138001"
    inbound = parse_request({"CallSid": "CA1", "From": "+8613800138001", "SpeechResult": "你好", "Confidence": "0.4"})
    assert (inbound.call_id, inbound.caller, inbound.event, inbound.confidence) == ("CA1", "13800138001", "speech", 0.4)
    assert parse_request({"call_id": "c", "Digits": "12#"}).event == "dtmf"


def test_speech_rendering_units() -> None:
    r = speech_render(
        [
            {
                "text": "### 温馨提示\n**请注意**：您的手机 138****8001 已登记。😀 详见 [指南](https://x.org/g)。\n"
                "1. 身份证原件\n2. 户口本",
                "buttons": CONFIRM_BUTTONS,
            }
        ]
    )
    for text in (r.text, r.ssml):
        assert spoken_problems(text) == []
    assert "尾号" in r.text and "第1项，身份证原件。" in r.text
    assert r.text.endswith("确认请按1，取消请按2。") and r.confirmation
    # the question goes last
    r = speech_render([{"text": "需要本人办理吗？需要本人携带身份证办理。"}])
    assert r.text == "需要本人携带身份证办理。需要本人办理吗？"
    r = speech_render([{"text": "Your ID 440304198805121316 is on file. Download: https://x.org/a.pdf"}])
    assert spoken_problems(r.text) == [] and "4 4 0 3" in r.text


def test_documented_credentials_entry_loads_through_rasa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from rasa.core.run import create_http_input_channels

    doc = (Path(__file__).resolve().parents[2] / "docs" / "channels.md").read_text(encoding="utf-8")
    block = re.search(r"## credentials.yml entries.*?```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "credentials.yml"
    path.write_text(block, encoding="utf-8")
    monkeypatch.setenv("IVR_WEBHOOK_SECRET", "from-the-environment")
    (channel,) = [c for c in create_http_input_channels(None, str(path)) if isinstance(c, IVRInput)]
    assert channel.url_prefix() == "ivr" and channel.webhook_secret == "from-the-environment"
    assert channel.threshold == 0.6 and channel.transfer_number == "12333"


def test_without_a_secret_only_local_requests_are_accepted(bot: FakeBot) -> None:
    srv = SanicServer({"/webhooks/ivr": IVRInput(backend_url="http://127.0.0.1:9").blueprint(bot)}).start()
    try:
        url = srv.url + "/webhooks/ivr/webhook"
        assert requests.post(url, json={"call_id": "local-1", "event": "call_start"}, timeout=5).status_code == 200
        proxied = requests.post(
            url,
            json={"call_id": "local-2", "event": "call_start"},
            headers={"X-Forwarded-For": "203.0.113.9"},
            timeout=5,
        )
        assert proxied.status_code == 401
    finally:
        srv.stop()


def test_filler_only_speech_is_never_passed_on_or_echoed(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server)
    call.start()
    out = call.say("喂喂 听得到吗", confidence=0.5)  # at the greeting: what do you need
    assert out["text"] == "请说出您要办理的业务。" and bot.texts(call.call_id) == []
    call.verify()
    out = call.say("我要给孩子停保")  # a confirmation is pending
    assert out["text"].endswith("确认请按1，取消请按2。")
    assert call.say("嗯")["text"].startswith("为了确保安全，请用按键确认")  # "嗯" is a yes: by key
    out = call.say("喂 喂 你好")  # filler during a choice: the options again
    assert out["text"] == "确认请按1，取消请按2。" and bot.texts(call.call_id) == ["我要给孩子停保"]
    out = call.say("喂 那个 我要给孩子停保", confidence=0.4)  # leading filler is not echoed back
    assert out["text"] == "您是说“我要给孩子停保”吗？确认请按1，重说请按2。"
