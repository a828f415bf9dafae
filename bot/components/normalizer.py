"""Length-preserving text normalisation for the Chinese NLU (and for channels).

``normalize(text)`` returns a string of exactly ``len(text)`` characters in which
character ``i`` is the normalised form of the user's character ``i``.  So token
offsets computed on the normalised text index the user's original text, and
entity values sliced from the original text stay what the user typed.

The pieces, usable on their own (all pure functions of their input):

``nfkc(text)``
    Unicode NFKC per character (full-width digits/letters/punctuation ->
    ASCII); a character whose NFKC form is not exactly one character
    (``½`` -> ``1⁄2``, ligatures) is kept as it is.
``to_simplified(text)``
    Traditional -> Simplified with OpenCC ``tw2sp`` (Taiwan phrases too:
    資訊 -> 信息, 列印 -> 打印, 啟用 -> 激活, 登入 -> 登录) for text that has
    Traditional characters (tw2sp would change Simplified text: 程序 -> 进程),
    then a few mainland standard forms OpenCC lacks (身分证 -> 身份证,
    帐号 -> 账号).  Where a phrase conversion changes the length (部落格 -> 博客,
    記憶體 -> 内存), that span is converted character by character.
``correct_homophones(text)``
    Speech-transcription homophone corrector for the domain's key terms
    (设保 -> 社保, 停报 -> 停保, 一保 -> 医保, 元老保险 -> 养老保险, 转储 -> 转出):
    windows of 2-4 characters are compared with a small lexicon
    (``domain_terms.txt``) by toneless pinyin with fuzzy initials/finals
    (z/zh, c/ch, s/sh, l/n, h/f; an/ang, en/eng, in/ing) and a small syllable
    distance; real words (jieba's common words, the jieba user dictionary,
    a protected list) are left alone unless an insurance context follows
    (工商银行 stays, 工商保险 -> 工伤保险).

Everything here is fast after the first call (lexicon and pinyin are
precomputed / cached): see ``bench_normalize`` at the bottom.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import logging
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
DOMAIN_TERMS_PATH = HERE / "domain_terms.txt"
JIEBA_DICT_DIR = HERE / "jieba_dict"

OPENCC_CONFIG = "tw2sp"

# Mainland standard forms applied after OpenCC (to Simplified input as well).
# Every key and value must have the same length.
EXTRA_SIMPLIFIED: Dict[str, str] = {
    "身分": "身份",  # 身分证 / 身分證 (Taiwan, Hong Kong) -> 身份证
    "帐号": "账号",
    "帐户": "账户",
    "帐单": "账单",
    "帐本": "账本",
    "甚么": "什么",
    "身份証": "身份证",  # Japanese shinjitai 証 sometimes typed by IMEs
    "証明": "证明",
}

# A window that is itself a word of jieba's dictionary with at least this
# frequency is "common": it is only corrected when an insurance context follows.
COMMON_MIN = 20
# A character is not replaced when it forms a word of jieba's dictionary (this
# frequency or more) with a character outside the window: 打零|工 (零工),
# 社保跨|省 (跨省), 建|设保 (建设).
WORD_MIN = 3
# A correction is skipped when a bigram across the window's edge is a word this
# frequent (建设|保障 around 设保), or when the bigrams on both edges are common.
BOUNDARY_STRONG = 1000
BOUNDARY_WEAK = COMMON_MIN

# ---------------------------------------------------------------------------
# NFKC
# ---------------------------------------------------------------------------


def nfkc(text: str) -> str:
    """NFKC, character by character, keeping the length."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# Traditional -> Simplified
# ---------------------------------------------------------------------------
#
# OpenCC tw2sp also converts Taiwan phrases (資訊 -> 信息, 列印 -> 打印, 啟用 ->
# 激活), which t2s leaves alone; but applied to text that is already
# Simplified it changes mainland words (程序 -> 进程, 机器人么 -> 机器人幺).
# So: text without a Traditional character (per t2s's character table) is left
# as it is; otherwise tw2sp converts it, except that a Simplified 么 stays 么
# (tw2sp's Taiwan variant table turns a lone 么 into 幺; it is the only
# Simplified-standard character tw2sp changes on its own).

_opencc_lock = threading.Lock()
_opencc_converters: Dict[str, object] = {}


def _converter(config: str = OPENCC_CONFIG) -> Any:
    conv = _opencc_converters.get(config)
    if conv is None:
        with _opencc_lock:
            conv = _opencc_converters.get(config)
            if conv is None:
                import opencc

                conv = _opencc_converters[config] = opencc.OpenCC(config)
    return conv


@functools.lru_cache(maxsize=None)
def _t2s_char(ch: str) -> str:
    """t2s of one character alone (its character table), or ``ch``."""
    out = _converter("t2s").convert(ch)
    return out if len(out) == 1 else ch


def _t2s_per_char(text: str) -> str:
    return "".join([_t2s_char(ch) for ch in text])


def has_traditional(text: str) -> bool:
    """True when some character of ``text`` has a Simplified form."""
    return not text.isascii() and _t2s_per_char(text) != text


# A private-use character OpenCC passes through and no phrase contains: put
# between two characters, it stops any phrase conversion across that point.
_SENTINEL = "\ue000"


def _align_conversion(text: str, converted: str) -> str:
    """Length-preserving version of the phrase conversion ``converted`` of ``text``.

    The text is cut wherever a sentinel between two characters leaves the
    conversion unchanged (no phrase crosses that point); each piece keeps its
    phrase conversion when that has the piece's length (列印 -> 打印) and is
    converted character by character otherwise (部落格 stays 部落格, not 博客).
    Equal total lengths are no proof of alignment (網際網路 -> 互联网 and
    埠 -> 端口 in one message), so this runs whenever the phrase conversion
    differs from the character conversion.
    """
    convert = _converter().convert
    cuts = [0]
    for i in range(1, len(text)):
        probe = convert(text[:i] + _SENTINEL + text[i:])
        if probe.replace(_SENTINEL, "") == converted:
            cuts.append(i)
    cuts.append(len(text))
    out: List[str] = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        conv = convert(piece)
        out.append(conv if len(conv) == len(piece) else _t2s_per_char(piece))
    result = "".join(out)
    return result if len(result) == len(text) else _t2s_per_char(text)


# Longest text aligned in one piece. _align_conversion converts the whole text once
# per character (quadratic); a longer text is cut after punctuation and spaces (no
# phrase crosses them) and at least every ALIGN_SPAN characters, so its cost grows
# linearly with the length (issue 11: one 100,000-character message stopped Rasa).
ALIGN_SPAN = 64
_BREAK_CHARS = frozenset(" \t\r\n\u3000，。、；：？！,.;:?!…—·（）()《》「」『』“”\"'[]【】")


def _pieces(text: str) -> Iterator[str]:
    start = 0
    for i, ch in enumerate(text):
        if ch in _BREAK_CHARS or i + 1 - start >= ALIGN_SPAN:
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]


def _simplified_piece(piece: str) -> str:
    per_char = _t2s_per_char(piece)
    if per_char == piece:
        return piece
    converted = _converter().convert(piece)
    return per_char if converted == per_char else _align_conversion(piece, converted)


_EXTRA_RE = re.compile("|".join(re.escape(k) for k in sorted(EXTRA_SIMPLIFIED, key=len, reverse=True)))
assert all(len(k) == len(v) for k, v in EXTRA_SIMPLIFIED.items())


def to_simplified(text: str) -> str:
    """Traditional (and Taiwan usage) -> Simplified, same length.

    Simplified input only gets the mainland standard forms (身分证 -> 身份证).
    """
    if not text or text.isascii():
        return text
    per_char = _t2s_per_char(text)
    if per_char != text:  # Traditional characters: convert
        if len(text) <= ALIGN_SPAN:
            converted = _converter().convert(text)
            if converted != per_char:  # a phrase or variant conversion: align it
                converted = _align_conversion(text, converted)
        else:  # _align_conversion is quadratic: align piece by piece (linear in the length)
            converted = "".join(_simplified_piece(piece) for piece in _pieces(text))
            if "么" in text:
                converted = "".join([o if o == "么" else c for o, c in zip(text, converted, strict=False)])
        text = converted
    if _EXTRA_RE.search(text):
        text = _EXTRA_RE.sub(lambda m: EXTRA_SIMPLIFIED[m.group(0)], text)
    return text


# ---------------------------------------------------------------------------
# Pinyin helpers
# ---------------------------------------------------------------------------

_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
)
_Y_SYLLABLES = {
    "yi": "i",
    "ya": "ia",
    "yo": "io",
    "ye": "ie",
    "yao": "iao",
    "you": "iou",
    "yan": "ian",
    "yang": "iang",
    "yin": "in",
    "ying": "ing",
    "yong": "iong",
    "yu": "ü",
    "yue": "üe",
    "yuan": "üan",
    "yun": "ün",
}
_W_SYLLABLES = {
    "wu": "u",
    "wa": "ua",
    "wo": "uo",
    "wai": "uai",
    "wei": "uei",
    "wan": "uan",
    "wang": "uang",
    "wen": "uen",
    "weng": "ueng",
}
_ABBREVIATED_FINALS = {"iu": "iou", "ui": "uei", "un": "uen"}
# fuzzy initials: z/zh, c/ch, s/sh, l/n, h/f
_FUZZY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "f": "h"}

Syllable = Tuple[str, str]  # (canonical initial, canonical final)


def split_syllable(syllable: str) -> Tuple[str, str]:
    """Toneless pinyin (ü written ü) -> (initial, final), finals in full form."""
    if syllable in _Y_SYLLABLES:
        return "", _Y_SYLLABLES[syllable]
    if syllable in _W_SYLLABLES:
        return "", _W_SYLLABLES[syllable]
    for ini in _INITIALS:
        if syllable.startswith(ini) and len(syllable) > len(ini):
            fin = syllable[len(ini) :]
            if ini in ("j", "q", "x") and fin.startswith("u"):
                fin = "ü" + fin[1:]
            return ini, _ABBREVIATED_FINALS.get(fin, fin)
    return "", syllable


def fuzzy_syllable(syllable: str) -> Syllable:
    """Canonical fuzzy form: zh->z, ch->c, sh->s, n->l, f->h; -ang/-eng/-ing -> -an/-en/-in."""
    ini, fin = split_syllable(syllable)
    ini = _FUZZY_INITIALS.get(ini, ini)
    if fin.endswith("ng") and not fin.endswith("ong"):
        fin = fin[:-1]
    return ini, fin


def _strip_medial(fin: str) -> str:
    if fin and fin[0] in "iuü":
        return fin[1:]
    return fin


def syllable_distance(a: Syllable, b: Syllable) -> int:
    """0 = fuzzy homophones; 1 = close (an initial dropped or added, as in
    强/养, or another medial i/u/ü, as in 元/养, 月/业); 2 and more = different."""
    if a == b:
        return 0
    ia, fa = a
    ib, fb = b
    if ia == ib:
        d = 0
    elif not ia or not ib:
        d = 1
    else:
        d = 2
    if fa != fb:
        d += 1 if _strip_medial(fa) == _strip_medial(fb) else 2
    return d


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@functools.lru_cache(maxsize=None)
def char_syllables(ch: str) -> Tuple[Syllable, ...]:
    """The readings of a Han character a transcriber would mean, fuzzy-canonical.

    Only the main reading: rare readings make false matches (移 chí ~ 出 chū)
    and a speech recogniser writes a character for its usual sound.
    """
    if not is_han(ch):
        return ()
    from pypinyin import Style, pinyin

    readings = pinyin(ch, style=Style.NORMAL, heteronym=False, v_to_u=True, errors="ignore")
    if not readings or not readings[0] or not readings[0][0]:
        return ()
    return (fuzzy_syllable(readings[0][0]),)


def term_syllables(term: str) -> Tuple[Syllable, ...]:
    """The readings of a word in context (phrase dictionary: 银行 -> yin hang)."""
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(term, style=Style.NORMAL, v_to_u=True)
    if len(readings) != len(term):  # non-Han characters in a term
        raise ValueError(f"domain term {term!r} must be Han characters only")
    return tuple(fuzzy_syllable(r) for r in readings)


@functools.lru_cache(maxsize=65536)
def char_distance(ch: str, target: Syllable) -> int:
    """Smallest syllable distance between any reading of ``ch`` and ``target``."""
    readings = char_syllables(ch)
    if not readings:
        return 99
    return min(syllable_distance(r, target) for r in readings)


# ---------------------------------------------------------------------------
# Lexicon
# ---------------------------------------------------------------------------

# the total pinyin distance a window may have from a term, by term length
MAX_TOTAL_DISTANCE = {2: 1, 3: 2, 4: 2}


class WordFreq:
    """A read-only word -> frequency map in about 12 bytes a word.

    jieba's dictionary has ~290k words of 2-4 characters; a dict of them takes
    ~90 MB, this sorted array of (process-local) string hashes ~4 MB.  A lookup
    is a binary search (~1 us); it is only done for windows that already match a
    term by pinyin.
    """

    def __init__(self, items: Iterable[Tuple[str, int]]) -> None:
        pairs = sorted((hash(w), f) for w, f in items)
        self._keys = array("q", [h for h, _ in pairs])
        self._freqs = array("l", [f for _, f in pairs])

    def get(self, word: str, default: int = 0) -> int:
        h = hash(word)
        i = bisect_left(self._keys, h)
        if i < len(self._keys) and self._keys[i] == h:
            return self._freqs[i]
        return default

    def __len__(self) -> int:
        return len(self._keys)


@dataclass
class Lexicon:
    terms: List[str]
    syllables: Dict[str, Tuple[Syllable, ...]]
    confusions: Dict[str, FrozenSet[str]]
    # character -> [(term, position of that character in the term)]
    anchors: Dict[str, List[Tuple[str, int]]]
    protected: FrozenSet[str]
    always: FrozenSet[str]
    context: Tuple[str, ...]
    stopchars: FrozenSet[str]
    common: "Dict[str, int] | WordFreq" = field(default_factory=dict)  # jieba freq

    def is_protected(self, word: str) -> bool:
        return word in self.protected or self.common.get(word, 0) >= COMMON_MIN

    def is_term(self, word: str) -> bool:
        return word in self.syllables


def read_domain_terms(path: Path = DOMAIN_TERMS_PATH) -> Dict[str, list]:
    """Parse domain_terms.txt into its sections."""
    sections: Dict[str, list] = {"terms": [], "protected": [], "always": [], "context": [], "stopchars": []}
    current = "terms"
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("[") and line.endswith("]"):
                current = line[1:-1].strip()
                if current not in sections:
                    raise ValueError(f"{path}: unknown section [{current}]")
                continue
            fields = line.split()
            if current == "terms":
                sections["terms"].append(fields)
            elif current == "stopchars":
                sections["stopchars"].extend("".join(fields))
            else:
                sections[current].extend(fields)
    return sections


def _jieba_main_dict() -> Optional[Path]:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.exists() else None


def read_common_words(min_freq: int = WORD_MIN, max_len: int = 4) -> WordFreq:
    """Words of jieba's main dictionary (2..max_len characters) with freq >= min_freq."""
    path = _jieba_main_dict()
    if path is None:
        logger.warning("jieba's dictionary not found: homophone correction runs without its common-word protection")
        return WordFreq(())

    def words():
        with open(path, encoding="utf-8") as f:
            for line in f:
                word, _, rest = line.partition(" ")
                if 2 <= len(word) <= max_len:
                    freq = int(rest.split(" ", 1)[0])
                    if freq >= min_freq:
                        yield word, freq

    return WordFreq(words())


def read_user_dictionary_words(directory: Path = JIEBA_DICT_DIR) -> Set[str]:
    words: Set[str] = set()
    if directory.is_dir():
        for path in sorted(directory.glob("*")):
            if path.is_file():
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        word = line.strip().split(" ", 1)[0]
                        if word and not word.startswith("#"):
                            words.add(word)
    return words


def build_lexicon(
    terms_path: Path = DOMAIN_TERMS_PATH,
    user_dict_dir: Path = JIEBA_DICT_DIR,
    common: "Optional[Dict[str, int] | WordFreq]" = None,
) -> Lexicon:
    sections = read_domain_terms(terms_path)
    terms: List[str] = []
    confusions: Dict[str, FrozenSet[str]] = {}
    for fields in sections["terms"]:
        term, extra = fields[0], fields[1:]
        if not 2 <= len(term) <= 4:
            raise ValueError(f"domain term {term!r}: 2 to 4 characters")
        for c in extra:
            if len(c) != len(term):
                raise ValueError(f"confusion {c!r} of {term!r} must have the same length")
        if term not in confusions:
            terms.append(term)
        confusions[term] = frozenset(confusions.get(term, frozenset()) | set(extra))
    syllables = {t: term_syllables(t) for t in terms}
    anchors: Dict[str, List[Tuple[str, int]]] = {}
    for t in terms:
        for variant in (t, *confusions[t]):
            for pos, ch in enumerate(variant):
                entry = (t, pos)
                lst = anchors.setdefault(ch, [])
                if entry not in lst:
                    lst.append(entry)
    term_set = set(terms)
    every_confusion = {c for cs in confusions.values() for c in cs}
    # domain-valid words (jieba user dictionary) are protected, except terms
    # and declared mis-transcriptions
    protected = set(sections["protected"]) | (read_user_dictionary_words(user_dict_dir) - term_set - every_confusion)
    if common is None:
        common = read_common_words()
    return Lexicon(
        terms=terms,
        syllables=syllables,
        confusions=confusions,
        anchors=anchors,
        protected=frozenset(protected),
        always=frozenset(sections["always"]) | frozenset(every_confusion),
        context=tuple(sorted(set(sections["context"]), key=len, reverse=True)),
        stopchars=frozenset(sections["stopchars"]),
        common=common,
    )


_lexicon_lock = threading.Lock()
_lexicon: Optional[Lexicon] = None


def lexicon() -> Lexicon:
    """The shared lexicon, built on first use (about 1 s of CPU)."""
    global _lexicon
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                _lexicon = build_lexicon()
    return _lexicon


def reload_lexicon() -> Lexicon:
    """Rebuild the lexicon (after editing domain_terms.txt) and drop caches."""
    global _lexicon
    with _lexicon_lock:
        _lexicon = build_lexicon()
    _normalize_cached.cache_clear()  # normalize.cache_clear
    return _lexicon


# ---------------------------------------------------------------------------
# Homophone correction
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    start: int
    end: int
    original: str
    replacement: str
    distance: int


# Chinese numerals are values, never mis-heard for one another: grades and tiers
# (一档..十五档), months and counts are distinct even where their pinyin is close
# (五 wu / 一 yi, 七 qi / 一 yi, 十 shi / 四 si / 一 yi).
NUMERALS = frozenset("〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾")


def _window_distance(lex: Lexicon, window: str, term: str) -> Optional[int]:
    """Pinyin distance of a window from a term, None when it may not be corrected."""
    mismatched = [k for k in range(len(term)) if window[k] != term[k]]
    if not mismatched or len(mismatched) > len(term) // 2:
        return None
    for k in mismatched:
        ch = window[k]
        if ch in lex.stopchars or not is_han(ch):
            return None
        if ch in NUMERALS and term[k] in NUMERALS:  # another number, not a mis-hearing
            return None
    if window in lex.confusions[term]:
        return 0
    total = 0
    target = lex.syllables[term]
    for k in mismatched:
        d = char_distance(window[k], target[k])
        if d > 1:
            return None
        total += d
    return total if total <= MAX_TOTAL_DISTANCE[len(term)] else None


def _context_follows(lex: Lexicon, text: str, end: int) -> bool:
    return any(text.startswith(c, end) for c in lex.context)


def _boundary_ok(lex: Lexicon, text: str, start: int, end: int, term: str) -> bool:
    """False when the window cuts through real words of the sentence."""
    n = len(text)
    common = lex.common
    for k in range(end - start):
        if text[start + k] == term[k]:
            continue
        p = start + k  # a character to be replaced: is it part of a word outside?
        for a in range(max(0, p - 3), p + 1):
            for b in range(max(p + 1, a + 2), min(n, a + 4) + 1):
                if (a < start or b > end) and common.get(text[a:b], 0) >= WORD_MIN:
                    return False
    left = lex.common.get(text[start - 1 : start + 1], 0) if start > 0 else 0
    right = lex.common.get(text[end - 1 : end + 1], 0) if end < len(text) else 0
    if left >= BOUNDARY_STRONG or right >= BOUNDARY_STRONG:
        return False
    return not (left >= BOUNDARY_WEAK and right >= BOUNDARY_WEAK)


def _cuts_exact(exact: Dict[int, Set[int]], s: int, e: int, longest: int) -> bool:
    """True when a correct term occurrence overlaps the window [s, e) partially.

    Only occurrences starting less than ``longest`` (the longest term) before
    ``e`` can overlap, so this looks at a bounded number of starts instead of every
    occurrence in the text (which made the scan quadratic in the length).
    """
    for a in range(max(0, s - longest + 1), e):
        for b in exact.get(a, ()):
            if a < e and s < b and not (s <= a and b <= e):
                return True
    return False


def find_corrections(text: str, lex: Optional[Lexicon] = None) -> List[Correction]:
    """The homophone corrections ``correct_homophones`` would make, left to right."""
    n = len(text)
    if n < 2:
        return []
    lex = lex or lexicon()
    anchors = lex.anchors
    candidates: Dict[Tuple[int, int], List[str]] = {}
    exact: Dict[int, Set[int]] = {}  # occurrences of correct terms: start -> ends
    for i, ch in enumerate(text):
        entries = anchors.get(ch)
        if entries is None:
            continue
        for term, pos in entries:
            s = i - pos
            e = s + len(term)
            if s < 0 or e > n:
                continue
            if text.startswith(term, s):
                exact.setdefault(s, set()).add(e)
                continue
            key = (s, e)
            lst = candidates.get(key)
            if lst is None:
                candidates[key] = [term]
            elif term not in lst:
                lst.append(term)
    if not candidates:
        return []
    longest = max(e - s for s, e in candidates)  # longest term seen (window or occurrence)
    if exact:
        longest = max(longest, max(max(ends) - a for a, ends in exact.items()))
    corrections: List[Correction] = []
    locked = [False] * n  # characters already corrected
    # longer windows first, then left to right
    for s, e in sorted(candidates, key=lambda se: (se[0] - se[1], se[0])):
        # a correct term is never changed nor cut: a window may contain it
        # (元老|保险| -> 养老保险) but not overlap it partially (医|保|欠费)
        if _cuts_exact(exact, s, e, longest):
            continue
        if any(locked[s:e]):
            continue
        window = text[s:e]
        if lex.is_term(window):
            continue
        best: Optional[Tuple[int, str]] = None
        for term in candidates[(s, e)]:
            d = _window_distance(lex, window, term)
            if d is not None and (best is None or d < best[0]):
                best = (d, term)
        if best is None:
            continue
        if window not in lex.always:
            if lex.is_protected(window) and not _context_follows(lex, text, e):
                continue
            if not _boundary_ok(lex, text, s, e, best[1]):
                continue
        for k in range(s, e):
            locked[k] = True
        corrections.append(Correction(s, e, window, best[1], best[0]))
    corrections.sort(key=lambda c: c.start)
    return corrections


def correct_homophones(text: str) -> str:
    """Replace likely speech mis-transcriptions of domain terms, same length."""
    corrections = find_corrections(text)
    if not corrections:
        return text
    chars = list(text)
    for c in corrections:
        chars[c.start : c.end] = c.replacement
    return "".join(chars)


# ---------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------


def normalize_uncached(text: str, homophones: bool = True) -> str:
    if not text:
        return text
    out = to_simplified(nfkc(text))
    if homophones:
        out = correct_homophones(out)
    if len(out) != len(text):  # cannot happen; never break offsets
        logger.error("normaliser changed the length of %r; using the text as is", text)
        return text
    return out


# Texts longer than this are not kept in the cache (16,384 long messages would hold gigabytes).
CACHE_MAX_CHARS = 1000


@functools.lru_cache(maxsize=16384)
def _normalize_cached(text: str, homophones: bool = True) -> str:
    return normalize_uncached(text, homophones)


def normalize(text: str, homophones: bool = True) -> str:
    """NFKC + Traditional->Simplified + homophone correction, same length as ``text``."""
    if len(text) > CACHE_MAX_CHARS:
        return normalize_uncached(text, homophones)
    return _normalize_cached(text, homophones)


normalize.cache_clear = _normalize_cached.cache_clear  # type: ignore[attr-defined]


def warm_up() -> None:
    """Load OpenCC, pypinyin and the lexicon now rather than on the first message."""
    lexicon()
    normalize_uncached("預申請設保一保元老保險轉储")


def bench_normalize(messages: Sequence[str], repeat: int = 20) -> float:
    """Mean microseconds per message of the uncached ``normalize``."""
    import time

    warm_up()
    for m in messages:  # per-character caches are warm in a running process
        normalize_uncached(m)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for m in messages:
            normalize_uncached(m)
    return (time.perf_counter() - t0) / (repeat * len(messages)) * 1e6


if __name__ == "__main__":  # pragma: no cover
    import sys

    for line in sys.argv[1:] or sys.stdin:
        line = line.rstrip("\n")
        print(normalize(line), [(c.original, c.replacement) for c in find_corrections(to_simplified(nfkc(line)))])
