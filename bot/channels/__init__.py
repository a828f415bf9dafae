"""Custom Rasa input channels of the assistant.

- ``bot.channels.wechat.WeChatInput``: WeChat Official Account server protocol
  (URL verification, signed and optionally AES-encrypted pushes, passive replies
  within WeChat's 5 s, the customer-service message API for slow turns, OpenID
  binding through a web page; a package split by concern).
- ``bot.channels.ivr.IVRInput``: a JSON webhook for telephone speech front ends
  (transcripts with confidence and n-best, DTMF, call events; replies as plain
  speakable text, SSML and directives; caller verification; a package).
- ``bot.channels.rendering``: how the assistant's replies look (or sound) in
  each channel, in one place.
- The backend (binding, tokens, caller verification, the widget's token check) is
  called through the bot's one backend client, ``bot/backend_client.py``.

Configuration: ``docs/channels.md``.
"""
