"""Conversation analytics: Rasa tracker events (in the shape Rasa's event broker
publishes them) -> analytics tables -> the dashboard summary and the NLU export.
The broker itself (RabbitMQ, restart) is tested in tests/bot/test_analytics_broker.py."""

from __future__ import annotations

import itertools
import time
from typing import Any

import yaml
from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import AnalyticsEvent, AnalyticsItemStep, AnalyticsSession, AnalyticsTurn
from sz_backend.services.analytics.ingest import conversation_key, ingest

_clock = itertools.count()
BASE = time.time() - 86_400  # yesterday: inside the dashboard's window


class Conversation:
    """Builds the events of one conversation as Rasa 3.6 serialises them (Event.as_dict + sender_id)."""

    def __init__(self, sender: str, channel: str = "socketio") -> None:
        self.sender, self.channel, self.events = sender, channel, []
        self.t = BASE + 100 * next(_clock)
        self._add({"event": "action", "name": "action_session_start", "policy": None, "confidence": 1.0})
        self._add({"event": "session_started"})
        self._add({"event": "action", "name": "action_listen", "policy": None, "confidence": None})

    def _add(self, body: dict[str, Any], dt: float = 0.01) -> "Conversation":
        self.t += dt
        self.events.append({"sender_id": self.sender, "timestamp": self.t, **body})
        return self

    def user(self, text: str, intent: str, confidence: float = 0.9, ranking: tuple = ()) -> "Conversation":
        ranking_list = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in ranking]
        return self._add(
            {
                "event": "user",
                "text": text,
                "input_channel": self.channel,
                "message_id": f"m{self.t}",
                "metadata": {"auth_token": "secret-token"},
                "parse_data": {
                    "text": text,
                    "intent": {"name": intent, "confidence": confidence},
                    "intent_ranking": ranking_list,
                    "entities": [],
                },
            },
            dt=1.0,
        )

    def action(self, name: str) -> "Conversation":
        return self._add({"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0})

    def bot(self, text: str, dt: float = 0.25) -> "Conversation":
        return self._add({"event": "bot", "text": text, "data": {}, "metadata": {}}, dt=dt)

    def slot(self, name: str, value: Any) -> "Conversation":
        return self._add({"event": "slot", "name": name, "value": value})


def finished_item(sender: str, outcome_text: str, code: str = "stop_child_insurance") -> Conversation:
    c = Conversation(sender).user("给孩子停保", code, 0.95).action("action_start_task")
    c.bot("请确认：为李小明停保。").slot("task_code", code).slot("task_stage", "confirm").action("action_listen")
    c.user("确认", "affirm").action("action_submit_task").bot(outcome_text).slot("task_stage", "idle")
    return c.action("action_listen")


def take(events: list[dict[str, Any]]) -> list[bool]:
    out = []
    for body in events:
        with session_scope() as s:
            out.append(ingest(s, body))
    return out


def count(model) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_completed_item_makes_a_session_turns_and_steps(db):
    c = finished_item("web-user-1", "已为李小明停保，业务流水号SZ20261127000001。")
    assert all(take(c.events))
    with session_scope() as s:
        sess = s.scalar(select(AnalyticsSession))
        assert (sess.channel, sess.user_turns, sess.fallbacks, sess.handoff) == ("socketio", 2, 0, False)
        assert (sess.items_started, sess.items_finished) == (1, 1)
        assert sess.conversation == conversation_key("web-user-1") and "web-user-1" not in sess.conversation
        steps = [st.step for st in s.scalars(select(AnalyticsItemStep).order_by(AnalyticsItemStep.id))]
        assert steps == ["started", "confirm", "confirmed", "completed"]
        turns = list(s.scalars(select(AnalyticsTurn).order_by(AnalyticsTurn.id)))
        assert [(t.intent, t.confidence) for t in turns] == [("stop_child_insurance", 0.95), ("affirm", 0.9)]
        assert all(t.latency_ms is not None and 0 < t.latency_ms < 1000 for t in turns)


def test_redelivered_events_change_nothing(db):
    c = finished_item("web-user-2", "已生成预申请，编号YS2026000012347，请携带材料到窗口。")
    take(c.events)
    before = [count(m) for m in (AnalyticsEvent, AnalyticsSession, AnalyticsTurn, AnalyticsItemStep)]
    assert not any(take(c.events[3:9]))  # the broker delivers some of them again
    assert [count(m) for m in (AnalyticsEvent, AnalyticsSession, AnalyticsTurn, AnalyticsItemStep)] == before
    with session_scope() as s:
        assert [st.step for st in s.scalars(select(AnalyticsItemStep))][-1] == "pre_applied"


def test_refusal_reask_fallback_and_handoff(db):
    c = Conversation("o_wechat_openid_1", "wechat").user("我要转养老保险", "transfer_pension_out", 0.8)
    c.action("action_start_task").slot("task_code", "transfer_pension_out").slot("task_stage", "collect")
    c.action("item_form").bot("请问转往哪个省？").action("action_listen")
    c.user("湖南长沙", "inform").action("item_form").slot("task_stage", "confirm").bot("请确认").action("action_listen")
    c.user("确认", "affirm").action("action_submit_task").bot("转往城市不对，请重新告诉我").slot(
        "task_stage", "collect"
    )
    c.action("action_listen")  # re-asked a field: not an outcome
    c.user("长沙市", "inform").action("item_form").slot("task_stage", "confirm").action("action_listen")
    c.user("确认", "affirm").action("action_submit_task").bot("不能办理：您有未办结的转移。").slot("task_stage", "idle")
    c.action("action_listen")
    c.user("啊吧啊吧 身份证440301199001011234", "nlu_fallback", 0.31, ranking=(("faq/login", 0.2),))
    c.action("action_default_fallback").bot("抱歉，我没听懂。").action("action_listen")
    c.user("转人工", "ask_human").action("action_handoff").slot("handoff_requested", True).bot("正在为您转接人工")
    take(c.events)
    with session_scope() as s:
        sess = s.scalar(select(AnalyticsSession))
        assert sess.channel == "wechat" and sess.handoff and sess.fallbacks == 1 and sess.items_finished == 0
        steps = [st.step for st in s.scalars(select(AnalyticsItemStep).order_by(AnalyticsItemStep.id))]
        assert steps == ["started", "collect", "confirm", "confirmed", "collect", "confirm", "confirmed", "refused"]
        fallback = s.scalar(select(AnalyticsTurn).where(AnalyticsTurn.fallback.is_(True)))
        assert "440301199001011234" not in fallback.text and "4403**********1234" in fallback.text
        assert fallback.best_guess == "faq/login"
        stored = " ".join(str(e.summary) for e in s.scalars(select(AnalyticsEvent)))
        assert "secret-token" not in stored and "o_wechat_openid_1" not in stored


def test_dashboard_summary_and_nlu_export(client, db):
    take(finished_item("a", "已停保，业务流水号SZ20261127000001。").events)
    take(finished_item("b", "已生成预申请YS2026000012347").events)
    dropped = Conversation("c", "rest").user("停保", "stop_child_insurance").action("action_start_task")
    dropped.slot("task_code", "stop_child_insurance").slot("task_stage", "confirm").action("action_listen")
    dropped.user("嗯嗯那个", "nlu_fallback", 0.2, ranking=(("affirm", 0.15),)).action("action_default_fallback")
    dropped.user("人工", "ask_human").action("action_handoff")
    take(dropped.events)

    sup = client.post("/window/auth/login", json={"username": "super01", "password": "Demo@2026"}).json()["token"]
    clerk = client.post("/window/auth/login", json={"username": "clerk01", "password": "Demo@2026"}).json()["token"]
    assert client.get("/window/analytics/summary", headers={"Authorization": f"Bearer {clerk}"}).status_code == 403
    body = client.get(
        "/window/analytics/summary", params={"days": 366}, headers={"Authorization": f"Bearer {sup}"}
    ).json()
    assert body["sessions"] == 3 and body["contained"] == 2 and body["containment_rate"] == round(2 / 3, 4)
    item = next(i for i in body["items"] if i["item_code"] == "stop_child_insurance")
    assert (item["started"], item["confirm"], item["completed"], item["pre_applied"], item["dropped"]) == (
        3,
        3,
        1,
        1,
        1,
    )
    rest = next(d for d in body["daily"] if d["channel"] == "rest")
    assert rest["handoff_rate"] == 1.0 and rest["fallback_rate"] == round(1 / 3, 4)
    assert body["not_understood"][0]["text"] == "嗯嗯那个"
    assert body["latency_ms"]["count"] >= 4

    export = client.get(
        "/window/analytics/not-understood.yml", params={"days": 366}, headers={"Authorization": f"Bearer {sup}"}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-yaml")
    data = yaml.safe_load(export.text)
    assert data["version"] == "3.1"
    assert data["nlu"] == [{"intent": "affirm", "examples": "- 嗯嗯那个\n"}]


def test_events_arriving_late_are_put_back_in_order(db):
    """Rasa resends events it kept during a broker outage after newer ones: same rows as in order."""

    def rows() -> tuple:
        with session_scope() as s:
            steps = [
                (st.item_code, st.step) for st in s.scalars(select(AnalyticsItemStep).order_by(AnalyticsItemStep.at))
            ]
            turns = [
                (t.intent, t.latency_ms is not None)
                for t in s.scalars(select(AnalyticsTurn).order_by(AnalyticsTurn.at))
            ]
            sess = [(x.user_turns, x.items_started, x.items_finished) for x in s.scalars(select(AnalyticsSession))]
        return steps, turns, sess

    events = finished_item("late", "已生成预申请YS2026000012347").events
    take(events)
    expected = rows()
    with session_scope() as s:
        for model in (AnalyticsItemStep, AnalyticsTurn, AnalyticsSession, AnalyticsEvent):
            s.query(model).delete()
    late = events[-4:-1]  # the outcome, task_stage=idle, then action_listen came last... minus the final listen
    assert take([e for e in events if e not in late]) and all(take(late))
    assert rows() == expected and expected[0][-1] == ("stop_child_insurance", "pre_applied")
