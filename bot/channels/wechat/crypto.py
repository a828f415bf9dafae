"""WeChat push authentication: signatures and safe-mode (AES) encryption.

Why apart from the channel: this is the part an attacker aims at (forged pushes in
someone else's name, replayed signatures), so it is small, pure and read on its own.

- ``signature == sha1(sorted(token, timestamp, nonce))`` authenticates the URL
  check and every push; compared in constant time, with a bound on the
  timestamp's age. It does not cover the body.
- Safe mode (``encrypt_type=aes``): ``msg_signature`` also covers the ``Encrypt``
  element, which is AES-encrypted with the EncodingAESKey and carries the AppID
  (wechatpy's ``PrpCrypto`` / ``WeChatCrypto``); replies are encrypted the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any, Optional


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def same_digest(expected: str, given: Optional[str]) -> bool:
    """Constant-time comparison of hex digests."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace"))


def valid_signature(
    token: str,
    signature: Optional[str],
    timestamp: Optional[str],
    nonce: Optional[str],
    max_clock_skew: float,
    check_age: bool = True,
) -> bool:
    """The plain signature of a URL check or push, and (``check_age``) a timestamp within the skew."""
    if not signature or not timestamp or nonce is None:
        return False
    ok = same_digest(sha1_sorted(token, timestamp, nonce), signature)
    if ok and check_age and max_clock_skew > 0:
        try:
            ok = abs(time.time() - int(timestamp)) <= max_clock_skew
        except ValueError:
            ok = False
    return ok


class SafeMode:
    """Safe mode of one Official Account: the EncodingAESKey, the token and the AppID."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        from wechatpy.crypto import WeChatCrypto  # (imported when safe mode is configured)

        key = base64.b64decode(str(encoding_aes_key) + "=")
        if len(key) != 32:
            raise ValueError("wechat: encoding_aes_key must be the 43-character EncodingAESKey")
        if not app_id:
            raise ValueError("wechat: safe mode (encoding_aes_key) needs app_id")
        self.token = token
        self.app_id = app_id
        self._key = key
        self._crypto: Any = WeChatCrypto(token, str(encoding_aes_key), app_id)

    def valid_msg_signature(self, timestamp: str, nonce: str, encrypt: str, msg_signature: Optional[str]) -> bool:
        return same_digest(sha1_sorted(self.token, timestamp, nonce, encrypt), msg_signature)

    def decrypt(self, encrypt: str) -> str:
        """The inner XML of an ``Encrypt`` element (raises on a wrong key, padding or AppID)."""
        from wechatpy.crypto import PrpCrypto

        return str(PrpCrypto(self._key).decrypt(encrypt, self.app_id))

    def encrypt_reply(self, xml: str) -> str:
        """A passive reply as safe mode sends it (encrypted, signed, with a fresh nonce)."""
        return str(self._crypto.encrypt_message(xml, secrets.token_hex(8), str(int(time.time()))))
