"""How the assistant's replies look (or sound) in each channel.

The dialogue produces channel-neutral messages (Rasa's output dicts: ``text``,
``buttons``, ``image``, ``attachment``, ``custom``). Each channel renders them
here, so the rules live in one place:

``wechat_render(messages)``
    WeChat text: one plain text; markdown dropped (links stay as text URLs);
    buttons become a numbered list ("回复 1：确认") whose numbers the channel maps
    back to the button payloads. ``split_utf8`` cuts long texts to WeChat's size.
``speech_render(messages)``
    Phone (IVR): speakable plain text plus SSML. No URLs ("请登录网站下载"),
    emoji or markdown; masked data read as "尾号1234"; ID, pre-application,
    serial and phone numbers read digit by digit (``<say-as
    interpret-as="digits">``); dates and clock times in words; buttons become
    spoken options ("确认请按1，取消请按2"); short sentences with the question
    last.
``web_message(message)``
    The website widget (rasa-webchat renders markdown): bare URLs become
    markdown links; channel signals are dropped; everything else passes through.
``signals(messages)``
    The channel signals of a turn: custom payloads ``{"signal": ...}`` the
    actions send for the channels to act on (``verify_identity``, ``handoff``,
    ``end_call``); no renderer shows or speaks them.

All functions are pure; nothing here logs message content.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.signals import END_CALL, HANDOFF, SIGNAL_KEY, VERIFY_IDENTITY, is_signal, signals  # noqa: F401

Message = Dict[str, Any]

# ---------------------------------------------------------------- shared pieces

_CJK = re.compile(r"[\u3400-\u9fff]")
# URLs: ASCII URL characters only (a Chinese full stop or bracket ends the URL).
URL_RE = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(((?:https?://|www\.|/)[^)\s]{1,2000})\)")
# Emphasis only around text without stars, so masks like 4403**********123X stay whole.
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)(?=[^\s*_~`])([^*_~`\n]+?)(?<=[^\s*_~`])\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_MD_BULLET = re.compile(r"^\s*[-*+•·]\s+", re.MULTILINE)
_MD_NUMBERED = re.compile(r"^\s*(\d{1,2})(?:[.)]\s+|、\s*)", re.MULTILINE)
# Emoji and pictographs, dingbats, variation selectors, zero-width joiners, keycaps.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001fc00-\U0001ffff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)
# Characters XML 1.0 does not allow (WeChat's parser rejects the whole reply).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def is_english(texts: Iterable[str]) -> bool:
    """True when the texts have Latin letters and no Chinese characters."""
    joined = "".join(t for t in texts if t)
    return bool(joined) and not _CJK.search(joined) and bool(re.search(r"[A-Za-z]", joined))


def xml_safe(text: str) -> str:
    """Drop characters that XML 1.0 forbids (control characters, lone surrogates)."""
    return _XML_INVALID.sub("", text or "")


def _button_list(message: Message) -> List[Dict[str, Any]]:
    buttons = message.get("buttons") or message.get("quick_replies") or []
    return [b for b in buttons if isinstance(b, dict)]


# Channel signals (custom payloads {"signal": name, ...}; bot/signals.py) are never shown or spoken as text.


def _custom_text(message: Message) -> Optional[str]:
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("text"), str) and not is_signal(custom):
        return custom["text"]
    return None


def _attachment_url(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        payload = value.get("payload")
        if not isinstance(payload, dict):
            payload = value
        for key in ("url", "src", "link"):
            if isinstance(payload.get(key), str):
                return payload[key]
    return None


# ---------------------------------------------------------------- WeChat


@dataclass
class WeChatRendering:
    text: str
    buttons: List[Dict[str, Any]] = field(default_factory=list)  # numbered 1.. in order (plus start offset)


_ANCHOR = re.compile(r"<a href=\"[^\"<>]*\">[^<]*</a>")
_LABELLED_URL = re.compile(
    r"(?m)^([ \t·•\-]*)([^\n：:<>]{1,16})[：:][ \t]*(" + URL_RE.pattern + r")[ \t]*$", re.IGNORECASE
)


def _href(url: str) -> str:
    # (an "&" stays raw: WeChat opens the href as written)
    return url.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")


def wechat_links(
    text: str, public_base: Optional[str] = None, internal_bases: Sequence[str] = (), english: bool = False
) -> str:
    """Links as WeChat shows them: ``<a href="URL">words</a>`` (a tap opens them), not long raw
    URLs; URLs on an internal base (the backend as the servers reach it, 127.0.0.1) are
    rewritten to ``public_base``. "打印申请表：URL" -> <a href="URL">打印申请表</a>;
    [title](URL) -> <a href="URL">title</a>; a bare URL -> <a href="URL">打开链接</a>."""
    if not text:
        return text

    def public(url: str) -> str:
        if public_base:
            for base in internal_bases:
                base = base.rstrip("/")
                if base and (url == base or url.startswith(base + "/")):
                    return public_base.rstrip("/") + url[len(base) :]
        return url

    def split(url: str) -> Tuple[str, str]:
        core = url.rstrip(".,;:!?'")
        return core, url[len(core) :]

    def labelled(m: "re.Match[str]") -> str:
        url, tail = split(m.group(3))
        return f'{m.group(1)}<a href="{_href(public(url))}">{m.group(2).strip()}</a>{tail}'

    text = _MD_LINK.sub(lambda m: f'<a href="{_href(public(m.group(2)))}">{m.group(1)}</a>', text)
    text = _LABELLED_URL.sub(labelled, text)
    out, last = [], 0
    for m in URL_RE.finditer(text):
        before = text[max(0, m.start() - 9) : m.start()]
        if before.endswith('<a href="') or any(a.start() <= m.start() < a.end() for a in _ANCHOR.finditer(text)):
            continue
        url, tail = split(m.group(0))
        out.append(text[last : m.start()])
        out.append(f'<a href="{_href(public(url))}">{"open the link" if english else "打开链接"}</a>{tail}')
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _wechat_markdown(text: str) -> str:
    text = _MD_LINK.sub(lambda m: f'<a href="{_href(m.group(2))}">{m.group(1)}</a>', text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub("· ", text)
    return text


def wechat_render(messages: Sequence[Message], start: int = 1, english: Optional[bool] = None) -> WeChatRendering:
    """Render one turn's messages as one WeChat text.

    Buttons are numbered from ``start`` (so a turn cut in two keeps one
    numbering); the returned ``buttons`` are the numbered ones, in order.
    URL buttons stay links ("标题：URL") and get no number.
    """
    if english is None:
        english = is_english(str(m.get("text") or _custom_text(m) or "") for m in messages)
    parts: List[str] = []
    numbered: List[Dict[str, Any]] = []
    for message in messages:
        lines: List[str] = []
        text = message.get("text") or _custom_text(message)
        if text:
            lines.append(_wechat_markdown(str(text)).strip())
        for button in _button_list(message):
            title = _wechat_markdown(str(button.get("title") or button.get("payload") or "")).strip()
            url = button.get("url")
            if button.get("type") == "web_url" or (isinstance(url, str) and url):
                lines.append(f'<a href="{_href(str(url))}">{title}</a>')
                continue
            n = start + len(numbered)
            numbered.append(button)
            lines.append(f"Reply {n}: {title}" if english else f"回复 {n}：{title}")
        if message.get("image"):
            lines.append(("Image: " if english else "图片：") + str(message["image"]))
        url = _attachment_url(message.get("attachment"))
        if url:
            lines.append(("File: " if english else "文件：") + url)
        if lines:
            parts.append("\n".join(lines))
    return WeChatRendering(text=xml_safe("\n\n".join(parts)).strip(), buttons=numbered)


def split_utf8(text: str, max_bytes: int = 2000) -> List[str]:
    """Cut ``text`` into pieces of at most ``max_bytes`` UTF-8 bytes, at line
    breaks where possible (WeChat truncates longer text messages)."""
    text = text or ""
    if len(text.encode("utf-8")) <= max_bytes:
        return [text] if text else []
    pieces: List[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= max_bytes:
            current = candidate
            continue
        if current:
            pieces.append(current)
        # a single line longer than the limit: cut by characters
        while len(line.encode("utf-8")) > max_bytes:
            cut, size = 0, 0
            for i, ch in enumerate(line):
                size += len(ch.encode("utf-8"))
                if size > max_bytes:
                    cut = i
                    break
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


# ---------------------------------------------------------------- phone (speech)

# Digit spans are marked with these (never in user-visible text) until the end.
_DIG_OPEN, _DIG_CLOSE = "\u0001", "\u0002"
_SENTENCE_END = "。！？!?；;"


@dataclass
class SpokenReply:
    text: str  # plain speakable text
    ssml: str  # <speak>...</speak>
    buttons: List[Dict[str, Any]] = field(default_factory=list)  # button i+1 <-> DTMF digit i+1
    confirmation: bool = False  # the buttons confirm a change (an /affirm payload)
    directives: Dict[str, Any] = field(default_factory=dict)  # from custom payloads: end_call, transfer


def _digits(value: str) -> str:
    return f"{_DIG_OPEN}{value}{_DIG_CLOSE}"


def _clock(m: "re.Match[str]") -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    return f"{hour}点" + (f"{minute}分" if minute else "")


def _mask_tail(m: "re.Match[str]") -> str:
    tail = m.group(2)
    digits = re.match(r"\d+", tail)
    head = "尾号"
    if digits and digits.end() < len(tail):  # 123X
        return head + _digits(tail[: digits.end()]) + tail[digits.end() :].upper()
    return head + (_digits(tail) if digits else tail)


_NUMBER_PATTERNS: Tuple[Tuple["re.Pattern[str]", Any], ...] = (
    # ID numbers: 17 digits + check digit or X, and 15-digit old numbers
    (
        re.compile(r"(?<![0-9A-Za-z])(\d{17})([0-9Xx])(?![0-9A-Za-z])"),
        lambda m: _digits(m.group(1) + m.group(2)) if m.group(2).isdigit() else _digits(m.group(1)) + "X",
    ),
    # pre-application / serial numbers with a letter prefix: YS2026000012347
    (
        re.compile(r"(?<![0-9A-Za-z])([A-Z]{1,4})(\d{5,})(?![0-9A-Za-z])"),
        lambda m: " ".join(m.group(1)) + " " + _digits(m.group(2)),
    ),
    # landlines 0755-12345678 and mobiles
    (
        re.compile(r"(?<![\d\x01])(0\d{2,3})-(\d{7,8})(?!\d)"),
        lambda m: _digits(m.group(1)) + "，" + _digits(m.group(2)),
    ),
    # long digit runs (phone numbers, serials, account tails), hotlines 12333/95xxx
    (re.compile(r"(?<![\d.,\x01])(\d{7,}|123\d\d|95\d{3})(?![\d.,\x02]|\s*元)"), lambda m: _digits(m.group(1))),
)


_OPEN_VERB = re.compile(r"(登录|登陆|访问|打开|进入|浏览|见|查看|visit|open|at|see)\s*$", re.IGNORECASE)
_DOWNLOAD_HINT = re.compile(r"(下载|打印|申请表|证明|表格|download|print|form)", re.IGNORECASE)
_FILE_URL = re.compile(r"\.(pdf|docx?|xlsx?|zip)(\?|$)", re.IGNORECASE)


def _url_words(m: "re.Match[str]", english: bool) -> str:
    """A URL said in words: "登录 <url>" -> "登录网站"; a file -> "请登录网站下载"."""
    url = m.group(1)
    tail = url[len(url.rstrip(".,;:!?'")) :]
    url = url[: len(url) - len(tail)]
    before = m.string[max(0, m.start() - 12) : m.start()]
    if _OPEN_VERB.search(before) and not m.group(0).lstrip().startswith(("：", ":")):
        return (" the website" if english else "网站") + tail
    download = _FILE_URL.search(url) or _DOWNLOAD_HINT.search(before)
    if english:
        return (", please download it from the website" if download else ", see the website") + tail
    return ("，请登录网站下载" if download else "，请登录网站查看") + tail


def _speakable_zh_en(text: str, english: bool, url_words: Any = None) -> str:
    """Everything but the digit marking and sentence layout.

    ``url_words``: what a URL becomes (a function of the match); default: "请登录网站查看"-style words."""
    text = xml_safe(unicodedata.normalize("NFC", text))  # also drops the digit-span markers
    text = _MD_LINK.sub(lambda m: m.group(1) if not URL_RE.fullmatch(m.group(1)) else "", text)
    words = url_words or (lambda m: _url_words(m, english))
    text = re.sub(r"[ \t]*[：:]?[ \t]*(" + URL_RE.pattern + ")", words, text, flags=re.IGNORECASE)
    # a URL left out (url_words gave the marker): its lead-in goes with it ("平台（URL）", "at URL")
    text = re.sub(
        r"(?:[ \t]+(?:at|from|via|on|see)|(?:请)?(?:登录|登陆|访问|打开|进入|浏览|查看|见))?[ \t]*[：:]?[ \t]*\x03",
        "",
        text,
    )
    if url_words is None:
        text = re.sub(
            r"(?<![A-Za-z0-9])/[A-Za-z0-9_\-./]*\.(pdf|html?|docx?)\b",
            ", please download it from the website" if english else "，请登录网站下载",
            text,
        )  # bare paths
    text = _EMOJI.sub("", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub("", text)
    text = _MD_NUMBERED.sub(lambda m: f"第{m.group(1)}项，" if not english else f"{m.group(1)}, ", text)
    # masked personal data: 4403**********123X -> 尾号123X; 138****5678 -> 尾号5678; 张* -> 张某
    text = re.sub(r"([0-9A-Za-z]*)\*{2,}([0-9Xx]{2,})", _mask_tail, text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])\*+", lambda m: "某" * len(m.group(0)), text)
    if english:
        text = re.sub(
            r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)",
            lambda m: (
                f"{int(m.group(3))} {_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"
                if 1 <= int(m.group(2)) <= 12
                else m.group(0)
            ),
            text,
        )
        text = re.sub(
            r"(?<!\d)(\d{4})-(\d{1,2})(?![\d-])",
            lambda m: f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}" if 1 <= int(m.group(2)) <= 12 else m.group(0),
            text,
        )
    if not english:
        text = re.sub(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", r"\1年\2月\3日", text)
        text = re.sub(r"(?<!\d)(\d{4})-(\d{1,2})(?![\d-])", r"\1年\2月", text)
        # 2025年01月05日 is heard "零一月": without the leading zeros
        text = re.sub(r"(?<=\d年)0(?=\d月)|(?<=\d月)0(?=\d日)", "", text)
        text = re.sub(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)", _clock, text)
        text = re.sub(r"(\d点(?:\d+分)?)\s*[-~—至]\s*(\d)", r"\1到\2", text)
    for pattern, repl in _NUMBER_PATTERNS:
        text = pattern.sub(repl, text)
    # whatever markdown-like characters are left
    text = text.replace("(", "（").replace(")", "）")
    text = re.sub(r"[\[\]<>{}|\\^_`~]", "", text)
    text = text.replace("#", "井号" if not english else " pound ").replace("*", "")
    text = re.sub(r"[“”\"]", "", text) if english else text
    # tidy punctuation left behind by removals
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"，\s*([。！？；，])", r"\1", text)
    text = re.sub(r"([：:])\s*([。！？；])", r"\2", text)
    text = re.sub(r"（\s*）", "", text)
    return text


_EN_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9)\]\"”'][.])\s+(?=[A-Z\"“(])")


def _sentences(text: str) -> List[str]:
    out: List[str] = []
    for line in re.split(r"\n+", text):
        line = line.strip(" ·•-—")
        if not line:
            continue
        # a closing quote after the end mark ("…缴费？”") belongs to that sentence
        pieces = [
            p
            for chunk in re.findall(rf"[^{_SENTENCE_END}]+[{_SENTENCE_END}]*[”’」』）)\"']*", line)
            for p in _EN_SENTENCE_BREAK.split(chunk)
        ]
        for piece in pieces:
            piece = piece.strip()
            if not piece or re.fullmatch(rf"[{_SENTENCE_END}，,\s]+", piece):
                continue
            if piece[-1] in "：:，,":
                piece = piece[:-1]
            if piece and piece[-1] not in _SENTENCE_END + ".":
                piece += "." if re.search(r"[A-Za-z0-9\x02]$", piece) and not _CJK.search(piece) else "。"
            out.append(piece)
    return out


def _is_question(sentence: str) -> bool:
    return sentence.endswith(("？", "?")) or sentence.endswith(("吗。", "呢。"))


def _plain(s: str) -> str:
    s = re.sub(f"{_DIG_OPEN}([^{_DIG_CLOSE}]*){_DIG_CLOSE}", lambda m: " ".join(m.group(1)), s)
    return re.sub(r" {2,}", " ", s)


def _ssml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ssml(s: str) -> str:
    out: List[str] = []
    for part in re.split(f"({_DIG_OPEN}[^{_DIG_CLOSE}]*{_DIG_CLOSE})", s):
        if part.startswith(_DIG_OPEN):
            out.append(f'<say-as interpret-as="digits">{_ssml_escape(part[1:-1])}</say-as>')
        elif part:
            out.append(_ssml_escape(part))
    return "".join(out)


def button_options(buttons: Sequence[Dict[str, Any]], english: bool = False) -> str:
    """Spoken options: 确认请按1，取消请按2。"""
    parts = []
    for i, button in enumerate(buttons, 1):
        title = speakable(str(button.get("title") or button.get("payload") or ""), english=english)
        title = title.rstrip("。.!！")
        parts.append(f"To {title.lower()}, press {i}" if english else f"{title}请按{i}")
    if not parts:
        return ""
    return (". ".join(parts) + ".") if english else ("，".join(parts) + "。")


def speakable(text: str, english: Optional[bool] = None) -> str:
    """One text made plain and speakable (digit spans spaced out)."""
    if english is None:
        english = is_english([text])
    return _plain(_speakable_zh_en(text, english)).strip()


def _affirm(button: Dict[str, Any]) -> bool:
    payload = str(button.get("payload") or "")
    return payload.startswith("/affirm") or payload.startswith("/confirm")


def _spoken_parts(
    messages: Sequence[Message], english: bool, prefix: str, suffix: str, url_words: Any = None
) -> Dict[str, Any]:
    texts = [str(m.get("text") or _custom_text(m) or "") for m in messages]
    statements: List[str] = []
    questions: List[str] = []
    buttons: List[Dict[str, Any]] = []
    directives: Dict[str, Any] = {}

    def conv(t: str) -> str:
        return _speakable_zh_en(t, english, url_words)

    for sentence in _sentences(conv(prefix)) if prefix else []:
        statements.append(sentence)
    for message, text in zip(messages, texts, strict=True):
        for sentence in _sentences(conv(text)) if text else []:
            (questions if _is_question(sentence) else statements).append(sentence)
        if message.get("image") or message.get("attachment"):
            if url_words is None:
                statements.append("Details are on the website." if english else "详细内容请登录网站查看。")
        for button in _button_list(message):
            if button.get("type") == "web_url" or button.get("url"):
                continue
            buttons.append(button)
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("ivr"), dict):
            directives.update(custom["ivr"])
    tail = _sentences(conv(suffix)) if suffix else []
    return {
        "statements": statements,
        "questions": questions,
        "tail": tail,
        "buttons": buttons[:9],
        "directives": directives,
    }


def _assemble(
    statements: Sequence[str],
    questions: Sequence[str],
    tail: Sequence[str],
    buttons: Sequence[Dict[str, Any]],
    english: bool,
    directives: Dict[str, Any],
) -> SpokenReply:
    options = button_options(buttons, english) if buttons else ""
    ordered = list(statements) + list(questions) + list(tail)
    plain = "".join((" " if english and ordered[:i] else "") + _plain(s) for i, s in enumerate(ordered))
    ssml_body = "".join(_ssml(s) for s in ordered)
    if options:
        plain = (plain + (" " if english and plain else "") + options).strip()
        ssml_body += ('<break time="300ms"/>' if ssml_body else "") + _ssml_escape(options)
    return SpokenReply(
        text=plain.strip(),
        ssml=f"<speak>{ssml_body}</speak>",
        buttons=list(buttons),
        confirmation=any(_affirm(b) for b in buttons),
        directives=dict(directives),
    )


def speech_render(
    messages: Sequence[Message], english: Optional[bool] = None, prefix: str = "", suffix: str = ""
) -> SpokenReply:
    """Render one turn for the ear.

    ``prefix`` is spoken first (e.g. "身份验证成功。"), ``suffix`` last (e.g. a
    prompt the channel adds); both go through the same rules.
    """
    texts = [str(m.get("text") or _custom_text(m) or "") for m in messages]
    if english is None:
        english = is_english(texts + [prefix, suffix])
    parts = _spoken_parts(messages, english, prefix, suffix)
    return _assemble(
        parts["statements"], parts["questions"], parts["tail"], parts["buttons"], english, parts["directives"]
    )


# ---------------------------------------------------------------- phone wording

# A phone prompt is heard once, in order: at most about 20 s (~90 Chinese characters at
# ~4.5 characters/s), question last. What does not fit (month-by-month lists, materials,
# download addresses) is offered by SMS; numbers to keep are read twice and offered too.
PHONE_MAX_CHARS = 90
PHONE_MAX_SECONDS = 20.0
SMS_KEY = "9"
SMS_OFFER_ZH = "要短信接收详细内容请按9。"
SMS_OFFER_EN = "For the details by text message, press 9."
MORE_BY_AGENT_ZH = "了解更多请按0转人工。"
MORE_BY_AGENT_EN = "For more, press 0 for an agent."

# Words of the web that mean nothing on the phone, and what the phone says instead.
_WEB_WORDS_ZH: Tuple[Tuple["re.Pattern[str]", str], ...] = (
    (re.compile(r"请?点击链接(?:下载打印|下载|查看)[，,]?"), ""),
    (re.compile(r"[，,]?链接(\d+天内有效)"), r"，下载地址\1"),
    (re.compile(r"不登录也可以"), "不验证身份也可以"),
    (re.compile(r"(?:在)?本页面(?:上)?|（?右上角“?登录”?）?"), ""),
    (re.compile(r"登录网站"), "登录网上服务系统"),
    (re.compile(r"点击|点选"), "选择"),
    (re.compile(r"(?<=[，。、请先再或])点(?=[“\"])"), "选择"),
    (re.compile(r"链接"), "入口"),
    (re.compile(r"网址"), "地址"),
    (re.compile(r"请(?:填写|键入)"), "请说出"),
)
_WEB_WORDS_EN: Tuple[Tuple["re.Pattern[str]", str], ...] = (
    (re.compile(r"\bclick(?:ing)? the link to\b", re.I), "choose"),
    (re.compile(r"\bclick(?:ing|s)?(?: on)?\b", re.I), "choose"),
    (re.compile(r"\b(?:from|via) the link\b", re.I), "by text message"),
    (re.compile(r"\blinks?\b", re.I), "entry"),
    (re.compile(r"\b(?:on|from) this page\b", re.I), ""),
    (re.compile(r"\bplease type\b", re.I), "please say"),
    (re.compile(r"\btyp(?:e|ing)\b", re.I), "say"),
)
WEB_WORDS_ZH = ("点击", "链接", "登录网站", "网址", "右上角", "本页面", "请登录网站")
WEB_WORDS_EN = ("click", "link", "type ", "this page", "website to download")

# Numbers the caller must keep: read twice (and offered by SMS).
_KEEP_NUMBER_ZH = re.compile(
    r"(业务流水号|流水号|预申请号|证明编号|编号)[：:\s]*(?:是|为)?\s*([A-Z]{0,4}\d{8,}[0-9X]?)(?![0-9A-Za-z])"
)
_KEEP_NUMBER_EN = re.compile(
    r"(serial number|pre-application number|certificate number|number)[:\s]+"
    r"([A-Z]{0,4}\d{8,}[0-9X]?)(?![0-9A-Za-z])",
    re.I,
)
_REPEATED = "\u2060"  # (word joiner, silent) marks a sentence holding a number read twice
_CJK_GLOSSED = re.compile(r"[“\"]?[\u3400-\u9fff][^“”\"()（）\n]*?[”\"]?\s*[（(]([^)）]*[A-Za-z][^)）]*)[)）]")
_CJK_PAREN = re.compile(r"\s*[（(][^)）A-Za-z]*[\u3400-\u9fff][^)）A-Za-z]*[)）]")
_CJK_RUN = re.compile(r"[“\"]?[\u3400-\u9fff][\u3400-\u9fff\s，、：:·]*[”\"]?")
_PAREN = re.compile(r"\s*[（(][^（）()]*[)）]")


def _pinyin_name(m: "re.Match[str]") -> str:
    """A short Chinese run (a name: 马超) as pinyin (Ma Chao); longer terms are left out."""
    run = m.group(0).strip('“”" ')
    if not (1 < len(run) <= 4) or not all("\u3400" <= ch <= "\u9fff" for ch in run):
        return ""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - a dependency of the channels
        return ""
    syllables = lazy_pinyin(run)
    given = "".join(syllables[1:])
    return f" {syllables[0].capitalize()} {given.capitalize()} " if given else f" {syllables[0].capitalize()} "


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def english_only(text: str) -> str:
    """An English reply without the Chinese terms it quotes (the ear cannot use them):
    “新用户注册” (new user registration) -> new user registration; 湖南 (Hunan) -> Hunan."""
    text = _CJK_GLOSSED.sub(lambda m: m.group(1), text)
    text = _CJK_PAREN.sub("", text)
    text = _CJK_RUN.sub(_pinyin_name, text)
    text = re.sub(r"\s*>\s*(?=[,.;]|$)|^\s*>\s*", "", text)
    text = re.sub(r"\s{2,}", " ", text)
    return re.sub(r"\s+([,.;:!?])", r"\1", text).strip()


def phone_wording(text: str, english: bool) -> str:
    """The phone's words for a reply written for screens (no 点击/链接/登录网站; English only)."""
    if english:
        for pattern, repl in _WEB_WORDS_EN:
            text = pattern.sub(repl, text)
        text = english_only(text)
        text = _KEEP_NUMBER_EN.sub(
            lambda m: f"{_REPEATED}{m.group(1)} {m.group(2)}, once more, {m.group(2)}", text, count=1
        )
        return text
    for pattern, repl in _WEB_WORDS_ZH:
        text = pattern.sub(repl, text)
    return _KEEP_NUMBER_ZH.sub(lambda m: f"{_REPEATED}{m.group(1)}{m.group(2)}，再说一遍，{m.group(2)}", text, count=1)


_PUNCT_LONG = re.compile(r"[。！？!?.]")
_PUNCT_SHORT = re.compile(r"[，、；：,;:]")


def spoken_chars(text: str, english: Optional[bool] = None) -> int:
    """How long a prompt is for the ear, in Chinese characters: CJK characters,
    digits (read one by one) and letters spelled out; an English word counts 2
    (it takes about as long as two Chinese syllables)."""
    if english is None:
        english = is_english([text])
    text = re.sub(r"<[^>]+>", "", text)
    cjk = len(_CJK.findall(text))
    digits = len(re.findall(r"\d", text))
    if english:
        return cjk + digits + 2 * len(re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text))
    return cjk + digits + len(re.findall(r"[A-Za-z]", text))


def tts_seconds(text: str, english: Optional[bool] = None) -> float:
    """A text-to-speech duration estimate: Mandarin ~4.5 characters/s, digits read
    one by one ~4/s, English ~165 words/min, plus pauses at punctuation."""
    if english is None:
        english = is_english([text])
    text = re.sub(r"<[^>]+>", "", text)
    seconds = 0.22 * len(_CJK.findall(text)) + 0.25 * len(re.findall(r"\d", text))
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    seconds += 0.36 * len(words) if english else 0.3 * sum(len(w) for w in words)
    seconds += 0.35 * len(_PUNCT_LONG.findall(text)) + 0.15 * len(_PUNCT_SHORT.findall(text))
    return round(seconds, 2)


def fits_phone(text: str, english: Optional[bool] = None) -> bool:
    if english is None:
        english = is_english([text])
    return spoken_chars(text, english) <= PHONE_MAX_CHARS and tts_seconds(text, english) <= PHONE_MAX_SECONDS


@dataclass
class PhoneReply(SpokenReply):
    sms_text: Optional[str] = None  # what a text message would carry (the whole reply), when offered
    shortened: bool = False  # content was left out of the spoken prompt


def _clauses(sentence: str, fits: Any) -> str:
    """The longest head of a sentence, cut at a comma, that still fits."""
    parts = re.findall(r"[^，,；;：:]+[，,；;：:]?", sentence)
    head = ""
    for part in parts:
        if not fits(head + part):
            break
        head += part
    head = head.rstrip("，,；;：:")
    return (head + ("." if re.search(r"[A-Za-z0-9]$", head) and not _CJK.search(head) else "。")) if head else ""


def phone_render(
    messages: Sequence[Message], english: bool = False, prefix: str = "", suffix: str = "", sms: bool = True
) -> PhoneReply:
    """One turn for the phone: ``speech_render``'s rules, the phone's words, and at most
    ``PHONE_MAX_CHARS``/``PHONE_MAX_SECONDS``. What does not fit is left out and, when
    ``sms`` (the call has a number to text), offered by SMS (key 9); numbers to keep are
    read twice and offered too. ``sms_text`` is then the whole reply as a text message."""
    phone_messages = []
    for message in messages:
        m = dict(message)
        if isinstance(m.get("text"), str):
            m["text"] = phone_wording(m["text"], english)
        m["buttons"] = [
            dict(b, title=phone_wording(str(b.get("title") or ""), english))
            for b in _button_list(message)
            if not (b.get("type") == "web_url" or b.get("url"))
        ]
        m.pop("quick_replies", None)
        phone_messages.append(m)
    dropped_urls: List[str] = []

    def drop_url(m: "re.Match[str]") -> str:
        url = m.group(1)
        dropped_urls.append(url)
        return "\x03" + url[len(url.rstrip(".,;:!?'")) :]

    parts = _spoken_parts(
        phone_messages, english, phone_wording(prefix, english), phone_wording(suffix, english), url_words=drop_url
    )
    has_attachment = any(m.get("image") or m.get("attachment") for m in messages)
    keep_number = any(
        (_KEEP_NUMBER_EN if english else _KEEP_NUMBER_ZH).search(str(m.get("text") or "")) for m in messages
    )
    statements, questions, tail = list(parts["statements"]), list(parts["questions"]), list(parts["tail"])
    buttons, directives = parts["buttons"][:8], parts["directives"]  # key 9: SMS, 0: a person, *: repeat

    def build(st: Sequence[str], offer: Sequence[str], qs: Sequence[str]) -> SpokenReply:
        return _assemble(list(st) + list(offer), qs, tail, buttons, english, directives)

    offer_sms = [SMS_OFFER_EN if english else SMS_OFFER_ZH] if sms else []
    wants_offer = bool(offer_sms) and bool(dropped_urls or has_attachment or keep_number)
    reply = build(statements, offer_sms if wants_offer else [], questions)
    shortened = False
    if not fits_phone(reply.text, english):
        shortened = True
        statements = [re.sub(r"[；;]$", "." if english else "。", _PAREN.sub("", s)) for s in statements]
        if english:
            statements = [s[:1].upper() + s[1:] for s in statements]
        offer = offer_sms or [MORE_BY_AGENT_EN if english else MORE_BY_AGENT_ZH]
        qs = questions
        if not fits_phone(build([], offer, qs).text, english):
            qs = questions[-1:]
        # a list is heard whole or not at all (it is in the SMS)
        statements = [s for s in statements if not re.match(r"(第\d+项，|\d+, )", s)]
        if any(_affirm(b) for b in buttons):
            # a confirmation: the caller must hear what is confirmed; the consequence goes first
            statements = [
                s for s in statements if not s.startswith(("确认后", "Once you confirm", "After you confirm"))
            ]
            statements = [re.sub(r"^请核对以下信息。?$", "请核对。", s) for s in statements]
            statements = [re.sub(r"^业务：", "", s) for s in statements]
        # the gist (first sentence) and a number to keep stay; the rest in order while it fits
        must = [s for s in statements[1:] if _REPEATED in s]
        kept: List[str] = []
        if statements:
            first = statements[0]
            if fits_phone(build([first] + must, offer, qs).text, english):
                kept.append(first)
            else:  # too long alone: its head, cut at a comma
                head = _clauses(first, lambda h: fits_phone(build([h] + must, offer, qs).text, english))
                if head:
                    kept.append(head)
        headings = {
            _plain(h).rstrip("。.")
            for m in phone_messages
            for line in str(m.get("text") or "").split("\n")
            if line.strip().endswith(("：", ":"))
            for h in _sentences(_speakable_zh_en(line, english, drop_url))[-1:]
        }

        def is_heading(sentence: str) -> bool:
            return _plain(sentence).rstrip("。.") in headings

        confirming = any(_affirm(b) for b in buttons)
        if confirming:  # short of time, "办理后：" goes; what it introduces stays
            statements = statements[:1] + [st for st in statements[1:] if not is_heading(st)]
        full = False
        for sentence in statements[1:]:
            if sentence in must:
                kept.append(sentence)
                continue
            if full:
                continue
            rest = [m for m in must if m not in kept]
            if fits_phone(build(kept + [sentence] + rest, offer, qs).text, english):
                kept.append(sentence)
            else:
                if confirming:  # what is confirmed (the amount, from when) is heard, at least its head
                    head = _clauses(
                        sentence, lambda h, rest=rest: fits_phone(build(kept + [h] + rest, offer, qs).text, english)
                    )
                    if head:
                        kept.append(head)
                full = True
        # a heading ("办理后：") is never heard without what it introduces
        kept = [
            k for i, k in enumerate(kept) if not (is_heading(k) and (i + 1 == len(kept) or is_heading(kept[i + 1])))
        ]
        reply = build(kept, offer, qs)
    offered = sms and any(o in reply.text for o in (SMS_OFFER_ZH, SMS_OFFER_EN))
    sms_text = (
        wechat_render(
            [{k: v for k, v in m.items() if k not in ("buttons", "quick_replies")} for m in messages], english=english
        ).text
        if offered
        else None
    )
    return PhoneReply(
        text=reply.text.replace(_REPEATED, ""),
        ssml=reply.ssml.replace(_REPEATED, ""),
        buttons=reply.buttons,
        confirmation=reply.confirmation,
        directives=reply.directives,
        sms_text=sms_text,
        shortened=shortened,
    )


def speech_text(text: str, english: Optional[bool] = None) -> SpokenReply:
    """A channel's own prompt, rendered like the assistant's replies."""
    return speech_render([{"text": text}], english=english)


# ---------------------------------------------------------------- web widget


def web_text(text: str) -> str:
    """Bare URLs as markdown links (rasa-webchat renders markdown)."""

    def link(m: "re.Match[str]") -> str:
        url = m.group(0).rstrip(".,;")
        rest = m.group(0)[len(url) :]
        href = url if url.lower().startswith("http") else f"https://{url}"
        return f"[{url}]({href}){rest}"

    out, last = [], 0
    for m in URL_RE.finditer(text or ""):
        before = text[max(0, m.start() - 2) : m.start()]
        if before.endswith("](") or before.endswith("("):
            continue  # already a markdown link target
        out.append(text[last : m.start()])
        out.append(link(m))
        last = m.end()
    out.append((text or "")[last:])
    return "".join(out)


def web_message(message: Message) -> Optional[Message]:
    """A message for the website widget: text linkified, channel signals dropped
    (None when nothing is left to show), the rest unchanged."""
    result = dict(message)
    if is_signal(result.get("custom")):
        del result["custom"]
        if not any(result.get(k) for k in ("text", "buttons", "quick_replies", "image", "attachment", "elements")):
            return None
    if isinstance(result.get("text"), str):
        result["text"] = web_text(result["text"])
    return result
