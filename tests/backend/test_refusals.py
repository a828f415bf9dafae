"""Refusals are complete and true (issue 16): every refusal names the reason, the
person or child it concerns, and the one right way forward; none ends at a colon.

Two views: the source (every refusal the items and payments raise is written with
both fixes) and the running backend (every demo person asking about every item:
each refusal that comes back is complete, and a child's names the child).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sz_backend.catalogue import get_catalogue

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "sz_backend"
# What residents meet: the items and the payment/document services (staff, auth and
# transport errors belong to their own suites).
RESIDENT_FACING = [
    *sorted((BACKEND / "services" / "items").rglob("*.py")),
    BACKEND / "services" / "payments.py",
    BACKEND / "services" / "documents.py",
]
FUNCS = {"refused", "refused_field", "invalid", "BusinessError", "InvalidInput"}
USERS = (
    "zhangwei",
    "lina",
    "chenjing",
    "huangqiang",
    "liuyang",
    "zhaojianguo",
    "sunli",
    "zhoumin",
    "wugang",
    "qianfang",
    "heli",
    "machao",
    "gaoyuan",
)


def _refusal_calls():
    for path in RESIDENT_FACING:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in FUNCS or not node.args:
                continue
            code_arg = node.args[1] if name == "refused_field" else node.args[0]
            if isinstance(code_arg, ast.Constant) and isinstance(code_arg.value, str):
                yield code_arg.value, node, f"{path.relative_to(BACKEND)}:{node.lineno}"


def _tail(node: ast.AST) -> str:
    """The last literal characters of a message argument (a string or an f-string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[-1], ast.Constant):
        return str(node.values[-1].value)
    return ""


def test_every_resident_facing_refusal_is_written_with_both_fixes():
    calls = list(_refusal_calls())
    assert len({c for c, _, _ in calls}) > 60  # the scan really sees the refusals
    missing = [
        (code, where) for code, node, where in calls if not {"fix_zh", "fix_en"} <= {k.arg for k in node.keywords}
    ]
    assert missing == []


def test_no_refusal_message_ends_at_a_colon():
    ending = []
    for code, node, where in _refusal_calls():
        first = 2 if node.func and getattr(node.func, "id", "") == "refused_field" else 1
        texts = [*node.args[first : first + 2], *(k.value for k in node.keywords if k.arg in ("fix_zh", "fix_en"))]
        ending += [(code, where) for t in texts if _tail(t).rstrip().endswith(("：", ":"))]
    assert ending == []


def _check_reason(reason: dict, who: str | None) -> None:
    for key in ("message_zh", "message_en", "fix_zh", "fix_en"):
        assert reason.get(key), (key, reason)
        assert not reason[key].rstrip().endswith(("：", ":")), reason
    if who:
        assert who in reason["message_zh"] or who in reason["fix_zh"], reason


def test_every_refusal_over_every_person_and_item_is_complete(client, as_user):
    codes = ",".join(e.code for e in get_catalogue().items)
    acts_for = {e.code: e.acts_for for e in get_catalogue().items}
    seen: set[str] = set()
    for user in USERS:
        h = as_user(user)
        options = client.get("/options", params={"codes": codes}, headers=h).json()["options"]
        children = {c["id"]: c["name"] for c in client.get("/me", headers=h).json()["children"]}
        assert {o["code"] for o in options} == set(acts_for)  # every item has an answer, none is dropped
        for o in options:
            if o["eligible"]:
                continue
            seen.add(o["reason"]["code"])
            child = children.get(o["subject_id"]) if acts_for[o["code"]] == "child" else None
            _check_reason(o["reason"], child)
    assert len(seen) >= 25, sorted(seen)


def test_a_child_just_stopped_is_not_sent_to_the_student_item(client, as_user):
    h = as_user("lina")
    ids = {c["name"]: c["id"] for c in client.get("/me", headers=h).json()["children"]}
    resp = client.post("/items/stop_child_insurance", json={"subject_id": ids["李小明"], "fields": {}}, headers=h)
    assert resp.status_code == 200, resp.text
    reason = client.get(
        "/items/stop_child_insurance/eligibility", params={"subject_id": ids["李小明"]}, headers=h
    ).json()["reason"]
    assert reason["code"] == "NO_CHILD_ENROLMENT" and "李小明" in reason["message_zh"]
    assert "已经停保" in reason["message_zh"] and "学生停保" not in reason["fix_zh"]
    # The student (in school) is pointed to 学生停保; the child never insured to the first enrolment.
    student = client.get(
        "/items/stop_child_insurance/eligibility", params={"subject_id": ids["李小红"]}, headers=h
    ).json()["reason"]
    assert "学生停保" in student["fix_zh"] and "李小红" in student["message_zh"]
    never = client.get(
        "/items/stop_child_insurance/eligibility", params={"subject_id": ids["李小乐"]}, headers=h
    ).json()["reason"]
    assert "首次参保" in never["fix_zh"] and "学生停保" not in never["fix_zh"]


@pytest.mark.parametrize("user", ["zhangwei", "gaoyuan"])
def test_child_items_without_a_linked_child_say_so(client, as_user, user):
    options = client.get(
        "/options", params={"codes": "stop_child_insurance,pay_child_medical"}, headers=as_user(user)
    ).json()["options"]
    assert [o["reason"]["code"] for o in options] == ["NO_LINKED_CHILD", "NO_LINKED_CHILD"]
