"""The IVR webhook's JSON: parsing a front end's request, the ``expect`` of an answer, checks.

Why apart: the request and response schema (the package docstring) is the
contract with every speech front end; parsing untrusted JSON into ``Inbound``
and the shape of ``expect`` are kept in one place, apart from the dialogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .speech import normalise_phone


@dataclass
class Inbound:
    call_id: str
    caller: str = ""
    event: str = "speech"
    transcript: str = ""
    confidence: Optional[float] = None
    alternatives: List[Tuple[str, Optional[float]]] = field(default_factory=list)
    digits: str = ""
    bad_keys: bool = False  # keys that are not 0-9 * # (answered with a reprompt)
    too_long: bool = False  # the transcript was over MAX_TRANSCRIPT_CHARS (answered kindly, not understood)


# A spoken turn is a sentence or two; a longer transcript is a recogniser artefact or abuse
# (bot/channels/limits.py explains the limit of the other channels).
MAX_TRANSCRIPT_CHARS = 500


class BadRequest(Exception):
    pass


def _float(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if 0.0 <= f <= 1.0 else None


def parse_request(body: Any) -> Inbound:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    call_id = body.get("call_id") or body.get("call_sid") or body.get("CallSid") or body.get("callSid")
    if not isinstance(call_id, str) or not call_id.strip() or len(call_id) > 128:
        raise BadRequest("call_id is required (a string of at most 128 characters)")
    caller = normalise_phone(body.get("caller") or body.get("from") or body.get("From") or "")
    speech = body.get("speech")
    if not isinstance(speech, dict):
        speech = {}
    alternatives: List[Tuple[str, Optional[float]]] = []
    for alt in body.get("alternatives") or speech.get("alternatives") or []:
        if isinstance(alt, dict) and isinstance(alt.get("transcript"), str):
            alternatives.append((alt["transcript"][:MAX_TRANSCRIPT_CHARS], _float(alt.get("confidence"))))
    transcript = body.get("transcript", body.get("SpeechResult"))
    confidence = _float(body.get("confidence", body.get("Confidence")))
    if transcript is None and alternatives:
        (transcript, confidence), alternatives = alternatives[0], alternatives[1:]
    elif alternatives and alternatives[0][0] == transcript:
        alternatives = alternatives[1:]
    if transcript is not None and not isinstance(transcript, str):
        raise BadRequest("transcript must be a string")
    digits = body.get("digits", body.get("Digits", body.get("dtmf")))
    digits = "" if digits is None else str(digits).strip()
    bad_keys = not re.fullmatch(r"[0-9*#]{0,32}", digits)
    if bad_keys:  # e.g. A-D keys or a front end's garbage: the caller hears a reprompt
        digits = ""
    event = str(body.get("event") or body.get("type") or "").lower().replace("-", "_")
    reason = str(body.get("reason") or "")
    if not event and bad_keys:
        event = "dtmf"
    if not event:
        if reason == "timeout":
            event = "no_input"
        elif digits:
            event = "dtmf"
        elif transcript and transcript.strip():
            event = "speech"
        else:
            event = "no_input"
    if event not in ("call_start", "speech", "dtmf", "no_input", "hangup"):
        raise BadRequest(f"unknown event {event!r}")
    return Inbound(
        call_id=call_id.strip(),
        caller=caller,
        event=event,
        transcript=(transcript or "")[:MAX_TRANSCRIPT_CHARS],
        confidence=confidence,
        alternatives=alternatives[:10],
        digits=digits,
        bad_keys=bad_keys,
        too_long=len(transcript or "") > MAX_TRANSCRIPT_CHARS,
    )


def speech_expect(timeout: float = 8) -> Dict[str, Any]:
    return {"type": "speech", "max_digits": None, "submit_key": None, "timeout_seconds": timeout, "allow_speech": True}


def dtmf_expect(
    max_digits: int, submit_key: Optional[str] = "#", timeout: float = 10, allow_speech: bool = True
) -> Dict[str, Any]:
    return {
        "type": "dtmf",
        "max_digits": max_digits,
        "submit_key": submit_key,
        "timeout_seconds": timeout,
        "allow_speech": allow_speech,
    }


def spoken_problems(text: str) -> List[str]:
    """What a listener could not hear as meant: URLs, emoji, markdown (for tests and checks).

    SSML tags are allowed in ``text`` (pass the SSML); characters inside tags are not checked.
    """
    outside = re.sub(r"<[^>]+>", "", text)
    problems = []
    if re.search(r"https?:|www\.|\.pdf|\.html?", outside, re.IGNORECASE):
        problems.append("url")
    from ..rendering import _EMOJI  # noqa: WPS450 - the same emoji set the renderer removes

    if _EMOJI.search(outside):
        problems.append("emoji")
    if re.search(r"[*#\[\]()]", outside):
        problems.append("markdown")
    return problems
