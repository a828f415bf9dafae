"""What counts as a "yes" to a confirmation summary: the last check before the one state-changing call.

Why: the classifier names *some* intent for every message, and a low-confidence `affirm` is a guess.
At the summary a guess is the most expensive mistake there is ("没看懂你的问题" was read as affirm at
0.22 and a child's insurance was stopped). So a typed message submits only when it says yes in words
(确认, 好的, 对, 可以, yes, go ahead...) and says nothing against it (a negation, a question, "wait");
otherwise the summary is asked again. The buttons' payload (/affirm) and the phone's key 1 always count.
Signals independent of the classifier, as issue 14 asks for "act / ask / did not understand".
"""

from __future__ import annotations

import re
import unicodedata

from bot.components.normalizer import to_simplified

# Yes in words, as residents type or say it (after NFKC, Traditional -> Simplified, lower case).
_YES = re.compile(
    r"确认|确定|是|对|好|可以|行|办|提交|同意|嗯|恩|要的|要得|没错|没问题|冇问题|妥|继续|就这样|无误|系呀|系啊|啱|"
    r"(?<![a-z])(?:ok|okay|yes|yeah|yep|yup|sure|confirm|confirmed|correct|right|go|go ahead|proceed|do it|fine|"
    r"alright|all right|please|submit|agree|agreed|good|y)(?![a-z])|👍|✅|👌|"
    # the item's own verb told to go ahead: "那就扣吧", "停了吧", "转吧" (session 10)
    r"(?:扣|交|缴|停|转|撤|退|补|改|换|弄|搞)(?:了|掉)?吧"
)
# Dialect yeses that are other words inside a sentence (得 in 觉得, 系 in 关系): only alone.
_YES_ALONE = re.compile(r"(?:得|中|成|系|得啦|中嘞|成啊|系啦)[\s,，.。!！~～啦呀啊嘞]*")
# Affirmative phrases that contain a negation character; removed before looking for a negation.
_YES_WITH_NEGATION = re.compile(r"没问题|冇问题|没错|不错|没毛病|无误|no problem|not a problem|no worries|why not")
# Anything against it: a negation, a question, a wish to wait or stop.
_AGAINST = re.compile(
    r"不|没|别|否|未|吗|么|啥|咋|何|取消|等等|等一下|等下|再想想|考虑|先别|算了|错|[?？]|"
    r"(?<![a-z])(?:no|not|dont|never|wait|hold|what|why|how|cancel|stop|wrong)(?![a-z])|n't"
)


def says_yes(text: str) -> bool:
    """True when ``text`` (a typed or transcribed reply to a summary) plainly agrees to it."""
    raw = str(text or "").strip()
    if raw.startswith("/affirm"):  # a button (or the phone's key 1): an explicit choice
        return True
    said = to_simplified(unicodedata.normalize("NFKC", raw)).lower()
    if _YES_ALONE.fullmatch(said):
        return True
    if not _YES.search(said):
        return False
    return not _AGAINST.search(_YES_WITH_NEGATION.sub(" ", said))


def short_yes(text: str) -> bool:
    """A yes in a few words ("那行，办吧", "嗯 扣就扣吧"): what a summary may take as agreement also when the
    classifier was unsure of the message (a longer one may say more than yes: "行，我问一下我老婆")."""
    said = re.sub(r"[\s,，.。!！~～]+", "", str(text or ""))
    return says_yes(text) and (len(said) <= 7 if not said.isascii() else len(str(text).split()) <= 4)
