"""Text preparation shared by the value readers.

Residents write Simplified, Traditional, full-width digits, English and
speech-transcript noise; every reader works on one canonical form: NFKC,
Simplified (OpenCC t2s), a few Taiwan spellings mapped. A reply that is
not an answer (a confirmation, "随便", a question, a whole request) is
recognised here so that free-text fields never store it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Tuple

USE_OPENCC = True  # the bench switches it off to measure what OpenCC adds

# t2s leaves Taiwan spellings untouched (docs: /work/shared/spec/nlu-notes.md)
_TW_WORDS = {"身分证": "身份证", "身分證": "身份证", "帳號": "账号", "帐号": "账号", "帳戶": "账户", "帐户": "账户"}


@lru_cache(maxsize=1)
def _converter():
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # not installed: Traditional text is read as it is
        return None


@lru_cache(maxsize=2048)
def simplify(text: str) -> str:
    """NFKC + Traditional -> Simplified; keeps the length only approximately."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip()
    for tw, cn in _TW_WORDS.items():
        t = t.replace(tw, cn)
    conv = _converter() if USE_OPENCC else None
    if conv is not None and re.search(r"[\u4e00-\u9fff]", t):
        t = conv.convert(t)
    return t


# ---- replies that are not values ---------------------------------------------------
_NON_ANSWERS = {
    "确认",
    "确定",
    "对",
    "对的",
    "是",
    "是的",
    "好",
    "好的",
    "嗯",
    "嗯嗯",
    "可以",
    "行",
    "没问题",
    "提交",
    "随便",
    "随意",
    "都行",
    "都可以",
    "无所谓",
    "你定",
    "看着办",
    "不知道",
    "忘了",
    "不清楚",
    "不记得",
    "没有",
    "无",
    "算了",
    "取消",
    "不办了",
    "下一步",
    "继续",
    "返回",
    "上一步",
    "重新",
    "不对",
    "错了",
    "ok",
    "okay",
    "yes",
    "no",
    "yep",
    "sure",
    "whatever",
    "anything",
    "confirm",
    "cancel",
    "next",
    "idk",
    "dunno",
    "n/a",
    "na",
    "none",
    "nothing",
    "你好",
    "您好",
    "谢谢",
    "hello",
    "hi",
    "thanks",
    "人工",
    "转人工",
    "客服",
}
_QUESTION = re.compile(
    r"[?？]|吗$|吗[，。,.!！]|呢$|什么|怎么|为什么|为啥|哪里|哪个|哪些|哪儿|多少|是否|能不能|可不可以|要不要|有没有|"
    r"^(how|what|why|which|when|where|who|can|could|should|do|does|is|are)\b",
    re.I,
)
# words that make a reply a request or a story rather than a value
_SENTENCE = re.compile(
    r"我要|我想|我需要|帮我|请帮|办理|申请|怎么办|要改|修改|更改|填错|写错|社保|医保|养老|保险|缴费|交费|转移|转出|转入|"
    r"停保|参保|查询|打印|\b(i want|i need|please|help me|how do)\b",
    re.I,
)


def strip_punct(text: str) -> str:
    return text.strip(" \t，。,.!！~～、;；:：\"'“”‘’()（）[]【】")


def is_non_answer(text: str) -> bool:
    """'确认', '随便', '不知道', 'ok' …: the person did not give a value."""
    t = strip_punct(simplify(text)).lower()
    t = re.sub(r"^(嗯+|呃+|额+|啊+)[，,\s]*", "", t)
    t = re.sub(r"(吧|啊|呀|哈|啦|了)+$", "", t)
    return not t or t in _NON_ANSWERS or bool(re.match(r"(随便|随意|都行|无所谓|不知道|不清楚|忘了|不记得)", t))


_WHICHEVER = re.compile(r"哪(个|种|档|样)[^，,。?？]{0,6}(就|选|要|买|交)[^，,。?？]{0,2}哪(个|种|档|样)")


def is_question(text: str) -> bool:
    t = simplify(text).strip()
    if _WHICHEVER.search(t) and not re.search(r"[?？]|吗|呢$", t):
        return False  # '哪个便宜选哪个': a choice, not a question
    return bool(_QUESTION.search(t))


def is_sentence(text: str) -> bool:
    """A request or a story ('我想办医保转移', 'I need help with…'), not a bare value."""
    return bool(_SENTENCE.search(simplify(text)))


# ---- corrections ---------------------------------------------------------------------
_CORRECTION = re.compile(
    r"(^不是的?(?=[，,\s])|不对|错了|说错了?|写错了?|输错了?|搞错了?|弄错了?|打错了?|记错了?|更正一下|更正|纠正一下|纠正|"
    r"改一下|改成|改为|换成|应该是|应当是|其实是|实际上是|准确地说是|正确的是|"
    r"\bsorry\b|\bi meant\b|\bi mean\b|\bactually\b|\bcorrection\b|^no\s*,|\bshould be\b|\bchange it to\b)",
    re.I,
)


# English "<new>, not <old>", after fillers; short on both sides, and not a verb's negation ("I do not know")
_EN_X_NOT_Y = re.compile(
    r"^(?:(?:wait|no|nope|sorry|oh|oops|actually|hmm|um|uh|i meant|make it|it'?s|it is)\b[\s,.!]*)*"
    r"(.+?)[,\s]+not\s+(.+?)[.!]?$",
    re.I,
)
_EN_AUX_END = re.compile(
    r"\b(?:do|does|did|is|am|are|was|were|can|could|will|would|should|have|has|i|it|that|this)$", re.I
)


def split_correction(text: str) -> Tuple[bool, str, str]:
    """Whether the text corrects a value, what it rejects and what it says instead:
    '不对，是杭州' -> (True, '', '杭州'); '不是3月，是4月' -> (True, '3月', '4月');
    '是杭州，不是深圳' -> (True, '深圳', '杭州'); '杭州' -> (False, '', '杭州')."""
    t = simplify(text)
    m = re.search(r"不是(.+?)[，,\s]*(?:而)?是(.+)$", t) or re.search(r"\bnot\s+(.+?),?\s+but\s+(.+)$", t, re.I)
    if m:
        return True, m.group(1), m.group(2)
    m = re.search(r"^(?:是)?(.+?)[，,\s]+(?:而)?不是(.+)$", t)
    if m and not _CORRECTION.search(m.group(1)):
        return True, m.group(2), m.group(1)
    m = _EN_X_NOT_Y.search(t)
    if m and len(m.group(1).split()) <= 3 and len(m.group(2).split()) <= 3 and not _EN_AUX_END.search(m.group(1)):
        return True, m.group(2), m.group(1)  # 'wait no, Mianyang not Chengdu' (session 10 probe)
    matches = list(_CORRECTION.finditer(t))
    if not matches:
        return False, "", t
    last = matches[-1]
    head, tail = t[: last.start()], t[last.end() :]
    tail = re.sub(r"^[\s，,。.:：!！]*(?:应该是|应该|是|为|成|到|it'?s|it is|is|to)?\s*", "", tail, flags=re.I)
    if strip_punct(tail):
        m = re.search(r"^(.*?)[，,\s]*(?:而)?(?:不是|\bnot\b)(.+)$", tail, re.I)
        if m and strip_punct(m.group(1)):
            return True, head + m.group(2), m.group(1)  # '不对，是株洲，不是长沙'
        return True, head, tail
    # '杭州，刚才说错了': the value is before the marker
    return True, "", head
