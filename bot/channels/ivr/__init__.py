"""Telephone (IVR) input channel: a JSON webhook for speech front ends.

``bot.channels.ivr.IVRInput`` (the class path credentials.yml names). The package
is split by concern, each module saying why it stands apart: ``channel`` (Rasa,
Sanic and the call's dialogue), ``protocol`` (the JSON below), ``prompts`` and
``words`` (what the channel says and understands by itself), ``speech``
(transcript clean-up), ``call`` (a call's stored state). The backend is called
through bot/backend_client.py.

``POST /webhooks/ivr/webhook`` (``GET /webhooks/ivr/`` is a health check).
The speech front end (Jambonz, Twilio, AudioCodes VoiceAI Connect, FreeSWITCH
with an ASR, ...) does speech recognition and text-to-speech; an adapter on
its side (or its native webhook, see the aliases) posts one JSON request per
caller turn and speaks the JSON answer.

Request (JSON object)
---------------------
=================  ==========================================================
``call_id``        string, required. The call's id; Rasa ``sender_id`` (one
                   conversation per call). Aliases: ``call_sid``, ``CallSid``.
``caller``         the calling number (``+8613800138001`` or ``13800138001``),
                   used for caller verification. Aliases: ``from``, ``From``.
``event``          ``call_start`` | ``speech`` | ``dtmf`` | ``no_input`` |
                   ``hangup``. Optional: inferred from ``digits`` (dtmf),
                   ``transcript`` (speech), else ``no_input``. Jambonz's
                   ``reason`` (``speechDetected``/``dtmfDetected``/``timeout``)
                   is understood.
``transcript``     the top recognition hypothesis. Alias ``SpeechResult``.
``confidence``     0..1 of the top hypothesis; absent = trusted. Alias
                   ``Confidence``.
``alternatives``   n-best list: ``[{"transcript": str, "confidence": float}]``
                   (Jambonz's ``speech.alternatives`` is read too).
``digits``         DTMF keys pressed (``0-9``, ``*``, ``#``). Alias ``Digits``.
=================  ==========================================================

Response (JSON object)
----------------------
=================  ==========================================================
``call_id``        echoed.
``text``           plain speakable Chinese text (no URLs, emoji, markdown;
                   long numbers spaced out digit by digit) for TTS without SSML.
``ssml``           the same as ``<speak>...</speak>``; numbers in
                   ``<say-as interpret-as="digits">``.
``expect``         what to gather next, or null when the call leaves the bot:
                   ``{"type": "speech"|"dtmf", "max_digits": n,
                   "submit_key": "#"|null, "timeout_seconds": s,
                   "allow_speech": bool}`` (``allow_speech``: with DTMF, speech
                   is accepted too).
``end_call``       true: hang up after speaking.
``transfer``       null or ``{"number": "12333", "reason": ...}``: after speaking,
                   transfer the call to a person (reasons: ``no_input``,
                   ``verification_failed``, ``caller_request``, ``assistant``).
=================  ==========================================================

Errors: 400 ``{"error": ...}`` for a malformed request (keys other than 0-9 * #
are not an error: the caller hears a reprompt); 401 when the request
does not carry the ``webhook_secret`` (header ``X-IVR-Secret: <secret>`` or
``Authorization: Bearer <secret>``; credentials.yml or env IVR_WEBHOOK_SECRET).
Without a configured secret only requests from this host (loopback, no
``X-Forwarded-For``) are accepted: enough to try it locally, never exposed.

What the channel does
---------------------
- Caller verification before any personal item: on ``call_start`` it asks for
  the last four characters of the ID number (DTMF, ``*`` for X; spoken digits
  are accepted), then the phone PIN (DTMF only: a spoken PIN is never passed
  on), and calls the backend's ``POST /channels/ivr/verify`` with the caller
  number. Later turns carry ``metadata.auth_token``. Callers may skip it and
  just ask questions; when the assistant signals that a personal item needs
  verification (``verify_identity``), the channel starts it and afterwards
  replays the request.
- Three failed verifications, or three no-inputs in a row (two reprompts),
  transfer the call to 12333. DTMF 0 (when no options are pending) transfers too.
- Low recognition confidence (< ``confidence_threshold``, 0.6): the n-best
  alternatives are scored against a small domain-term list (with pinyin
  homophones: 设保 -> 社保, 停报 -> 停保; ``speech.py`` says why it is not the
  NLU's corrector), and the best one is confirmed first
  ("您是说……吗？确认请按1，重说请按2").
- Spoken digits are normalised (四四零三 -> 4403, 幺 -> 1, 叉 -> X; amounts via
  cn2an: 三百元 -> 300元).
- Buttons become spoken options ("确认请按1，取消请按2"); a DTMF digit maps back
  to the button payload. A state-changing confirmation (an ``/affirm`` button)
  must be given by key: a spoken "确认" is answered with the key prompt.
- Keys at every prompt (verification included): ``0`` a person, ``*`` the last
  prompt again, ``9`` the last reply's details by SMS when offered.
- Replies: ``bot.channels.rendering.phone_render`` (for the ear; question
  last; at most ~90 characters / 20 s: long content summarised and offered by
  SMS through ``bot.channels.sms``; serial numbers read twice; no web words;
  English callers hear English only). No-input gets the short form of the
  prompt; filler-only speech ("喂喂 听得到吗") gets "请说出您要办理的业务". What the call does next comes from the actions' signals, custom
  payloads (Rasa ``json_message``), not from their wording:
  ``{"signal": "verify_identity"}`` (a personal item needs verification: the
  channel asks for it, then replays the request with the token),
  ``{"signal": "handoff"}`` (transfer to ``transfer_number`` after speaking),
  ``{"signal": "end_call"}``; also ``{"ivr": {"transfer": "12333"}}`` /
  ``{"ivr": {"end_call": true}}`` (the domain's goodbye response carries
  ``end_call``).

State is per call, in the channel state store (``bot/channels/state.py``):
in memory by default (one Rasa process), or Redis (``state_store:
redis://host:6379/3``, or env ``SZ_CHANNEL_STATE_STORE``) when several Rasa
processes share the calls, so consecutive turns of a call may reach different
processes. It is saved after every turn, dropped on ``hangup`` and expires
``call_ttl_seconds`` (1 hour) after the call's last turn. It holds the
verification progress (ID tail between the two entries, never the PIN), the
caller's backend token once verified, counters and the pending confirmation.
"""

from __future__ import annotations

from .call import HEARD, ID_LAST4, IDLE, PIN
from .channel import CHANNEL, HUMAN_NUMBER, IVRInput, IVROutput
from .prompts import HEARD_BUTTONS, PROMPTS, prompt
from .protocol import MAX_TRANSCRIPT_CHARS, BadRequest, Inbound, parse_request, spoken_problems
from .speech import correct_terms, normalise_digits, normalise_phone, normalise_transcript, spoken_code
from .words import is_filler, spoken_language, strip_filler

__all__ = [
    "CHANNEL",
    "HEARD",
    "HEARD_BUTTONS",
    "HUMAN_NUMBER",
    "ID_LAST4",
    "IDLE",
    "MAX_TRANSCRIPT_CHARS",
    "PIN",
    "PROMPTS",
    "BadRequest",
    "IVRInput",
    "IVROutput",
    "Inbound",
    "correct_terms",
    "is_filler",
    "normalise_digits",
    "normalise_phone",
    "normalise_transcript",
    "parse_request",
    "prompt",
    "spoken_code",
    "spoken_language",
    "spoken_problems",
    "strip_filler",
]
