"""What a caller says that the channel answers itself: filler, yes / no, skip, repeat, SMS.

Why apart: these are the channel's own small vocabulary (the assistant's NLU
never sees a spoken PIN or "喂喂 听得到吗"); kept together so they are read and
tested as one list.
"""

from __future__ import annotations

import re
from typing import List

# Speech that carries nothing to act on: a caller checking the line ("喂喂 听得到吗").
FILLER = re.compile(
    r"^(?:喂+|哎+|诶+|唉+|嗯+|啊+|哦+|呃+|额+|那个|就是|你好|您好|哈喽|哈罗|请问|听得到吗?|听得见吗?|听到了?吗?|能听到吗?|"
    r"能听见吗?|有人吗?|在吗|有没有人|说话|hello|hi|hey|can you hear me|are you there|anyone there|"
    r"[\s,，。.!！?？~～、]+)+$",
    re.IGNORECASE,
)
LEADING_FILLER = re.compile(
    r"^(?:(?:喂+|哎+|嗯+|啊+|呃+|额+|那个|听得到吗?|hello|hi)[\s,，。.!！?？~～、]*)+", re.IGNORECASE
)
SMS_WORDS = {
    "短信",
    "发短信",
    "发短信给我",
    "短信发给我",
    "发给我",
    "text",
    "textme",
    "sendatext",
    "sendmeatext",
    "sms",
}
# A short utterance asking to hear the prompt again ("你说什么 再说一遍", "sorry, come again?"); longer
# speech that merely contains one of these words is a request or a question for the dialogue.
REPEAT = re.compile(
    r"再说一[遍次下]|再讲一[遍次下]|重复一[遍次下]|再重复|再来一[遍次]|再念一[遍次]|没听清|没听见|没听到|没听懂|"
    r"你说什么|你说啥|你讲什么|你讲咩|讲咩话|说的啥|说的什么|刚才说什么|刚才说啥|刚才讲什么|什么来着|啥来着|"
    r"repeat|sayagain|sayitagain|saythatagain|pardon|comeagain|whatdidyousay|didnotcatch|didntcatch"
)
REPEAT_MAX_CHARS = 14  # Chinese characters; English letters: REPEAT_MAX_LETTERS
REPEAT_MAX_LETTERS = 32


def is_filler(transcript: str) -> bool:
    return bool(transcript.strip()) and bool(FILLER.fullmatch(transcript.strip()))


def strip_filler(transcript: str) -> str:
    rest = LEADING_FILLER.sub("", transcript.strip())
    return rest if rest.strip() else transcript


def spoken_language(texts: List[str], default: str) -> str:
    """en when the texts are mostly English words, zh when mostly Chinese, else ``default``."""
    joined = " ".join(t for t in texts if t)
    words = len(re.findall(r"[A-Za-z]{2,}", joined))
    cjk = len(re.findall(r"[\u3400-\u9fff]", joined))
    if (not words and not cjk) or (words < 2 and not cjk):  # "boom", "OK": not enough to switch
        return default
    return "en" if words > cjk else "zh"


YES_WORDS = {
    "是",
    "是的",
    "对",
    "对的",
    "对呀",
    "对啊",
    "嗯",
    "嗯嗯",
    "确认",
    "确定",
    "好",
    "好的",
    "没错",
    "可以",
    "是啊",
    "yes",
    "ok",
    "确认办理",
    "确认提交",
}
NO_WORDS = {"不是", "不对", "错了", "不是的", "重说", "不", "no", "说错了", "不对不对"}
SKIP_WORDS = {"跳过", "不验证", "不用验证", "只咨询", "咨询", "我只是咨询", "咨询问题", "不用了"}


def is_repeat(spoken: str) -> bool:
    """``spoken`` (as :func:`word` gives it) asks for the last prompt again."""
    limit = REPEAT_MAX_CHARS if re.search(r"[\u3400-\u9fff]", spoken) else REPEAT_MAX_LETTERS
    return len(spoken) <= limit and bool(REPEAT.search(spoken))


def word(text: str) -> str:
    return re.sub(r"[\s。，,.!！?？~～]", "", text or "").lower()
