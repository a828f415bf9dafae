"""Pieces of the action server that need no backend: language, field reading, form slots, keys."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa_sdk")

from bot.actions.common import idempotency_key, mask_account, mask_id  # noqa: E402
from bot.actions.fields import display_value, id_check_ok, parse_field, parse_month  # noqa: E402
from bot.actions.language import detect_language  # noqa: E402
from bot.actions.tasks import required_names  # noqa: E402


@pytest.mark.parametrize(
    "text,previous,expected",
    [
        ("我要停保", "en", "zh"),
        ("I want to stop my insurance", "zh", "en"),
        ("I want to stop my 少儿 insurance", "zh", "en"),
        ("帮我check一下社保", "en", "zh"),
        ("社保transfer out怎么办", "zh", "zh"),
        ("/affirm", "en", "en"),  # button payloads keep the language
        ("440304198805121317", "en", "en"),  # numbers say nothing about the language
        ("ok", "zh", "zh"),
        ("ys2026000000034", "zh", "zh"),  # a pre-application number typed in lower case
        ("YS2026000000034 status please", "zh", "en"),
        ("hello", "zh", "en"),
        ("", None, "zh"),
    ],
)
def test_language_detection(text: str, previous: str, expected: str) -> None:
    assert detect_language(text, previous) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("我要停保", "zh"),
        ("I want to stop my insurance", "en"),
        ("帮我check一下社保", "zh"),
        ("/affirm", None),
        ("440304198805121317", None),
        ("ok", None),
        ("OK!", None),
        ("👍", None),
        ("", None),
        (None, None),
        ("123", None),
        ("ys2026000000034", None),
        ("hello", "en"),
    ],
)
def test_language_classification_says_nothing_when_ambiguous(text: str, expected: str) -> None:
    from bot.language_detection import classify_language

    assert classify_language(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("身份证号是440304198805121317谢谢", "身份证号是4403**********1317谢谢"),
        ("11010519491231002x", "1101**********002X"),
        ("老身份证440301780512123要升位", "老身份证4403*******2123要升位"),
        ("卡号6222 0212 3456 7890 123", "卡号***************0123"),
        ("6222-0212-3456-7890", "************7890"),
        ("４４０３０４１９８８０５１２１３１７", "4403**********1317"),
        ("手机13812345678", "手机138****5678"),
        ("预申请号YS2026000000034进度", "预申请号YS2026000000034进度"),  # codes glued to letters stay
        ("2026-11-27 10:00 打12333", "2026-11-27 10:00 打12333"),
        ("12345678901234567890123", "12345678901234567890123"),  # too long for any of them
        ("440304198805121317 6222021234567890", "4403**********1317 ************7890"),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    from bot.masking import contains_personal_number, mask_text, mask_value

    assert mask_text(text) == expected
    assert contains_personal_number({"a": [text]}) == (expected != text)
    assert mask_value({"a": [text], "n": 3}) == {"a": [expected], "n": 3}


def test_masking_log_filter() -> None:
    import logging

    from bot.masking import MaskingFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "answer %s for %s", ("6222021234567890", "s1"), None)
    assert MaskingFilter().filter(record) and record.getMessage() == "answer ************7890 for s1"


@pytest.fixture
def pinned_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SZ_NOW", "2026-11-27T10:00:00+08:00")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026年10月", "2026-10"),
        ("2026-9", "2026-09"),
        ("2026/09", "2026-09"),
        ("上个月", "2026-10"),
        ("上上个月", "2026-09"),
        ("本月", "2026-11"),
        ("10月份", "2026-10"),
        ("去年十二月", "2025-12"),
        ("last month", "2026-10"),
        ("随便", None),
        ("2026年13月", None),
    ],
)
def test_months(pinned_now: None, text: str, expected: str) -> None:
    assert parse_month(text) == expected


def test_id_check_character() -> None:
    assert id_check_ok("11010519491231002X")
    assert id_check_ok("440524188001010014")
    assert not id_check_ok("110105194912310021")


def _msg(text: str, intent: str = "inform", **entities: str) -> dict:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }


ID_SPEC = {"name": "holder_id_number", "type": "id_number", "label_zh": "户主身份证号", "label_en": "ID"}


def test_id_number_field() -> None:
    assert parse_field(ID_SPEC, _msg("身份证号是 11010519491231002x"), requested=True).value == "11010519491231002X"
    bad = parse_field(ID_SPEC, _msg("110105194912310021"), requested=True)
    assert bad.value is None and "校验位" in bad.hint_zh
    assert parse_field(ID_SPEC, _msg("不知道"), requested=True).hint_zh
    # not asked for: only an entity may fill it
    assert parse_field(ID_SPEC, _msg("11010519491231002X"), requested=False).value is None
    assert (
        parse_field(ID_SPEC, _msg("x", id_number="11010519491231002X"), requested=False).value == "11010519491231002X"
    )


def test_choice_fields() -> None:
    in_school = {"name": "in_school", "type": "choice", "choices": ["yes", "no"]}
    assert parse_field(in_school, _msg("在上小学"), requested=True).value == "yes"
    assert parse_field(in_school, _msg("不在学校"), requested=True).value == "no"
    assert parse_field(in_school, _msg("不是"), requested=True).value == "no"
    relation = {"name": "relation", "type": "choice", "choices": ["father", "mother", "guardian"]}
    assert parse_field(relation, _msg("我是他妈妈"), requested=True).value == "mother"
    assert parse_field(relation, _msg("/inform", choice="father"), requested=True).value == "father"
    hukou = {
        "name": "hukou_category",
        "type": "choice",
        "choices": ["shenzhen", "guangdong_non_shenzhen", "outside_guangdong"],
    }
    assert parse_field(hukou, _msg("广东省外户籍"), requested=True).value == "outside_guangdong"
    assert (
        parse_field(hukou, _msg("x", hukou_category="guangdong_non_shenzhen"), requested=False).value
        == "guangdong_non_shenzhen"
    )


def test_numbers_tiers_places() -> None:
    tier = {"name": "medical_tier", "type": "tier"}
    assert parse_field(tier, _msg("二档"), requested=True).value == "2"
    assert parse_field(tier, _msg("x", medical_tier="1"), requested=False).value == "1"
    grade = {"name": "pension_grade", "type": "grade"}
    assert parse_field(grade, _msg("第三档"), requested=True).value == "3"
    years = {"name": "years", "type": "int"}
    assert parse_field(years, _msg("十五年"), requested=True).value == "15"
    province = {"name": "destination_province", "type": "province"}
    assert parse_field(province, _msg("转到湖南", province="湖南省"), requested=True).value == "湖南省"
    assert parse_field(province, _msg("湖南"), requested=True).value == "湖南"  # the backend names it fully
    assert parse_field(province, _msg("123"), requested=True).hint_zh
    assert parse_field(province, _msg("转到广东省外", province="广东省"), requested=False).value is None
    assert parse_field(province, _msg("湖南以外的地方", province="湖南省"), requested=False).value is None
    phone = {"name": "phone", "type": "text"}
    assert parse_field(phone, _msg("138 0013 8009"), requested=True).value == "13800138009"
    assert parse_field(phone, _msg("12345"), requested=True).hint_zh
    account = {"name": "account_no", "type": "account"}
    assert parse_field(account, _msg("6225 8802 1234 0000"), requested=True).value == "6225880212340000"


def test_display_masks_personal_numbers() -> None:
    assert display_value(ID_SPEC, "11010519491231002X", "zh") == "1101**********002X"
    assert display_value({"name": "account_no", "type": "account"}, "6225880212340000", "zh") == "************0000"
    assert display_value({"name": "phone", "type": "text"}, "13800138009", "zh") == "138****8009"
    assert display_value({"name": "medical_tier", "type": "tier"}, "2", "zh") == "二档"
    assert mask_id("440301780512123") == "4403*******2123"
    assert mask_account("123") == "***"  # the backend's format: too short to show any part


BASIC = [
    {"name": "hukou_category", "required": False},
    {"name": "phone", "required": False},
    {"name": "address", "required": False},
]
CHILD = [{"name": "in_school", "required": True}, {"name": "school_name", "required": False}]


def test_form_slots_per_task() -> None:
    assert required_names([{"name": "month", "required": True}], {}) == ["month"]
    assert required_names([], {}) == []
    # every field optional: ask which one to change first
    assert required_names(BASIC, {}) == ["change_target"]
    assert required_names(BASIC, {"change_target": "phone"}) == ["change_target", "phone"]
    assert required_names(BASIC, {"hukou_category": "outside_guangdong"}) == ["change_target", "hukou_category"]
    # the school name only when the child is in school
    assert required_names(CHILD, {"in_school": "no"}) == ["in_school"]
    assert required_names(CHILD, {"in_school": "yes"}) == ["in_school", "school_name"]


def test_idempotency_key_is_stable_per_confirmation() -> None:
    a = idempotency_key("sender", "stop_child_insurance", "n1")
    assert a == idempotency_key("sender", "stop_child_insurance", "n1")
    assert a != idempotency_key("sender", "stop_child_insurance", "n2")
    assert a != idempotency_key("other", "stop_child_insurance", "n1")
    assert 1 <= len(a) <= 128 and a.isprintable()


# ---- the backend client: slow, failing and refusing backends -----------------------
import asyncio  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from bot.actions.backend_client import BackendClient, BackendError, BackendUnavailable  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/slow"):
            time.sleep(2)
        status, body = {
            "/500": (503, {"detail": "down"}),
            "/slow": (200, {}),
            "/422": (
                422,
                {
                    "error": {
                        "code": "FIELD_MONTH",
                        "message_zh": "月份格式不对",
                        "message_en": "Bad month",
                        "fix_zh": "写成2026-10",
                        "field": "month",
                    }
                },
            ),
            "/html": (200, None),
        }.get(self.path, (200, {"ok": True}))
        data = b"<html>" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def fake_backend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_client_maps_failures(fake_backend: str) -> None:
    client = BackendClient(fake_backend, timeout=(0.5, 0.5))
    assert asyncio.run(client._call("GET", "/ok")) == {"ok": True}
    for path in ("/500", "/html"):
        with pytest.raises(BackendUnavailable):
            asyncio.run(client._call("GET", path))
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):  # a slow backend is a busy backend
        asyncio.run(client._call("GET", "/slow"))
    assert time.monotonic() - started < 1.5
    with pytest.raises(BackendError) as err:
        asyncio.run(client._call("GET", "/422"))
    assert err.value.status == 422 and err.value.field == "month" and err.value.fix_zh == "写成2026-10"
    with pytest.raises(BackendUnavailable):  # nothing listening
        asyncio.run(BackendClient("http://127.0.0.1:9", timeout=(0.5, 0.5))._call("GET", "/ok"))


def test_client_calls_run_off_the_event_loop(fake_backend: str) -> None:
    """Two slow calls at once take the time of one: the event loop is never blocked."""
    client = BackendClient(fake_backend, timeout=(1, 5))

    async def both() -> float:
        started = time.monotonic()
        await asyncio.gather(client._call("GET", "/slow"), client._call("GET", "/slow"))
        return time.monotonic() - started

    assert asyncio.run(both()) < 3.5
