"""Free-text fields (names, addresses, school names, another place): what counts
as a value and what is only a reply.

'确认', '随便', a question, a whole request or a phone number is never a
name: these readers return None for them, and the form asks again.
"""

from __future__ import annotations

import re
from typing import Optional

from . import identifiers
from .text import is_non_answer, is_question, is_sentence, strip_punct

_NAME_PREFIX = re.compile(
    r"^(?:他|她|我|孩子|监护人|户主|持卡人|账户|帐户|卡)?(?:的)?(?:名字|姓名|户名|全名)?(?:是|叫|为|:|：)?\s*"
)
_EN_NAME_PREFIX = re.compile(
    r"^(?:(?:my|his|her|the holder'?s?|the guardian'?s?) )?(?:full )?(?:name is|name:|it'?s|he is|she is|i am|i'm)\s+",
    re.I,
)
_NOT_NAME = re.compile(
    r"[我你他她它的了吗呢吧啊要想办转交缴查改没不是在请帮谢确认随便社保号码电话手机地址档卡证]|银行|医保|系统|信息|显示|"
    r"\d|[?？!！]"
)
_EN_STOP = {
    "yes",
    "no",
    "ok",
    "okay",
    "sure",
    "confirm",
    "cancel",
    "whatever",
    "anything",
    "idk",
    "help",
    "please",
    "the",
    "my",
    "is",
    "a",
    "an",
    "i",
    "what",
    "why",
    "how",
    "not",
    "dont",
    "don't",
    "know",
    "bank",
    "wrong",
    "right",
    "correct",
    "incorrect",
    "sorry",
    "thanks",
    "hello",
    "hi",
    "again",
    "change",
    "stop",
    "wait",
}


def person_name(text: str) -> Optional[str]:
    """'张三' / '我叫李小明' / '户名是欧阳娜娜' / 'Wang Fang' / 'my name is Li Lei' / '王芳 妈妈'."""
    whole = _person_name(text)
    if whole is not None:
        return whole
    if not re.search(r"[\u4e00-\u9fff]", text):
        # 'Wang Fang, my wife' / 'me, Zhang Wei': the name beside who the person is
        parts = [p.strip() for p in re.split(r"[,;()]+|\s+-\s+", text) if p.strip()]
        names = [n for n in (_person_name(p) for p in parts if not _EN_WHO.fullmatch(p)) if n]
        return names[0] if len(parts) > 1 and len(names) == 1 else None
    parts = [p for p in re.split(r"[\s,，、;；]+", strip_punct(text)) if p]
    names = [n for n in (_person_name(p) for p in parts) if n and n not in _KIN]
    return names[0] if len(parts) > 1 and len(names) == 1 else None


_EN_WHO = re.compile(
    r"(?:it'?s |that'?s |this is )?(?:me|myself|mine|my own|"
    r"(?:(?:she|he) is |(?:she|he)'s )?my (?:wife|husband|spouse|partner|mother|mom|mum|father|dad|son|daughter|"
    r"sister|brother|grandmother|grandfather|grandma|grandpa))[.!]?",
    re.I,
)
_KIN = {
    "妈妈",
    "爸爸",
    "母亲",
    "父亲",
    "爷爷",
    "奶奶",
    "外公",
    "外婆",
    "姥姥",
    "姥爷",
    "本人",
    "自己",
    "孩子",
    "小孩",
    "老婆",
    "老公",
    "妻子",
    "丈夫",
    "儿子",
    "女儿",
}


_KIN_BEFORE_NAME = re.compile(
    r"(?:我|他|她)?(?:的)?(?:"
    + "|".join(
        sorted(_KIN | {"爱人", "媳妇", "太太", "老妈", "老爸", "妈", "爸", "岳母", "婆婆"}, key=len, reverse=True)
    )
    + r")(?:的名字|名字|的)?(?:是|叫|为)?(?!名字|名下|本人|自己)([\u4e00-\u9fff]{2,4}(?:·[\u4e00-\u9fff]{1,10})?)"
)


def _person_name(text: str) -> Optional[str]:
    t = strip_punct(text)
    if is_non_answer(t) or is_question(t) or identifiers.phone(t) or identifiers.looks_like_id(t):
        return None
    cue = re.search(
        r"(?:户名|姓名|名字|名叫|叫做|叫)\s*(?:是|为|:|：)?\s*([\u4e00-\u9fff·]{2,8}|[A-Za-z][A-Za-z' \-]{1,30})$", t
    )
    if cue and len(t) > len(cue.group(1)) + 4:
        t = cue.group(1)  # '户名写我老婆的，叫陈美玲'
    cue = re.search(
        r"\b(?:holder is|name is|called|named|it'?s)\s+(?:my \w+\s+)?([A-Za-z][a-z'\-]+(?: [A-Za-z][a-z'\-]+){0,3})$",
        t,
        re.I,
    )
    if cue:
        t = cue.group(1)  # 'the account holder is my husband Li Ming'
    t = strip_punct(_NAME_PREFIX.sub("", _EN_NAME_PREFIX.sub("", t, count=1), count=1))
    kin = _KIN_BEFORE_NAME.fullmatch(t)
    if kin:
        t = kin.group(1)  # '我老婆王芳', '爱人叫陈丽': the name, not who the person is
    t = re.sub(r"(?<=[\u4e00-\u9fff]{2})(吧|啊|呀|哦|哈|嘛)+$", "", t)
    if (
        re.fullmatch(r"[\u4e00-\u9fff]{2,6}(?:·[\u4e00-\u9fff]{1,10})?", t)
        and not _NOT_NAME.search(t)
        and t not in _KIN
    ):
        return t
    if re.fullmatch(r"[A-Za-z][A-Za-z'\-]*(?: [A-Za-z][A-Za-z'\-]*){0,3}", t) and len(t) <= 40:
        words = t.lower().split()
        if not any(w in _EN_STOP for w in words):
            return " ".join(w.capitalize() if w.islower() else w for w in t.split())
    return None


_ADDRESS_MARK = re.compile(
    r"路|街|道|号|区|村|栋|室|楼|小区|大厦|花园|苑|巷|镇|市|县|弄|座|单元|幢|公寓|广场|中心|城|湾|园|府|阁|坊|层|期|"
    r"\b(road|rd|street|st|avenue|ave|district|building|room|apt|apartment|lane|block|no\.?)\b",
    re.I,
)
_ADDRESS_PREFIX = re.compile(
    r"^(?:我的)?(?:新的?)?(?:联系)?(?:地址|住址)(?:是|为|改成|改为|:|：)?\s*|^(?:我)?(?:现在)?住在\s*|"
    r"^(?:my )?(?:new )?address\s*(?:is|:)?\s*",
    re.I,
)


def address(text: str) -> Optional[str]:
    t = strip_punct(_ADDRESS_PREFIX.sub("", strip_punct(text), count=1))
    if is_non_answer(t) or is_question(t) or len(t) < 4 or len(t) > 100:
        return None
    if identifiers.phone(t) and len(re.sub(r"\d", "", t)) < 4:
        return None
    if re.search(r"我要|我想|帮我|办理|申请|社保|医保|\b(i want|i need|please|help)\b", t, re.I):
        return None
    return t if _ADDRESS_MARK.search(t) else None


_SCHOOL = re.compile(
    r"([\u4e00-\u9fffA-Za-z0-9()（）]{2,30}(?:幼儿园|小学|中学|学校|大学|学院|附小|附中|实验学校|"
    r"一中|二中|三中|外国语学校|书院|学堂|school|kindergarten|academy|college)"
    r"(?:[\u4e00-\u9fff]{0,6}?(?:部|分校|校区|园区))?)",
    re.I,
)
_SCHOOL_LEAD = re.compile(r"^.*?(?:在|读|上|是|叫|念)(?=[\u4e00-\u9fff])")


_SCHOOL_EN = re.compile(r"((?:[A-Z][\w'&.\-]*\s+){1,8}(?:School|Kindergarten|Academy|College)(?:\s+of\s+[A-Z][\w]*)?)")


def school(text: str) -> Optional[str]:
    t = strip_punct(text)
    if is_non_answer(t) or is_question(t):
        return None
    m = _SCHOOL_EN.search(t)
    if m and not re.fullmatch(
        r"(?:The|A|My|His|Her|Primary|Middle|High)\s+(?:School|Kindergarten)", m.group(1).strip()
    ):
        return m.group(1).strip()
    m = _SCHOOL.search(t)
    if not m:
        return None
    name = m.group(1)
    while not name.isascii() and _SCHOOL_LEAD.match(name) and len(_SCHOOL_LEAD.sub("", name, count=1)) < len(name):
        name = _SCHOOL_LEAD.sub("", name, count=1)  # '在上幼儿园' -> '幼儿园'
    name = re.sub(r"^(孩子|小孩|儿子|女儿|他|她|现在|目前|就|的)+", "", name)
    if re.search(r"(没|不|未)\S{0,2}$", t[: m.start()]) or re.fullmatch(
        r"(?:幼儿园|小学|中学|学校|大学|学院|初中|高中|附小|附中|school|kindergarten|college)", name, re.I
    ):
        return None  # '还没上幼儿园': no school is named
    return name if len(name) >= 3 else None


def short_text(text: str, max_len: int = 60) -> Optional[str]:
    """Any other free text: a short answer, not a reply, a question or a request."""
    t = strip_punct(text)
    if is_non_answer(t) or is_question(t) or is_sentence(t) or not t or len(t) > max_len:
        return None
    return t
