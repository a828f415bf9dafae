"""Custom Rasa input channels of the assistant.

- ``bot.channels.wechat.WeChatInput``: WeChat Official Account server protocol
  (URL verification, signed and optionally AES-encrypted pushes, passive replies
  within WeChat's 5 s, the customer-service message API for slow turns, OpenID
  binding dialogue handled inside the channel).
- ``bot.channels.ivr.IVRInput``: a JSON webhook for telephone speech front ends
  (transcripts with confidence and n-best, DTMF, call events; replies as plain
  speakable text, SSML and directives; caller verification).
- ``bot.channels.rendering``: how the assistant's replies look (or sound) in
  each channel, in one place.
- ``bot.channels.backend``: the identity endpoints of the backend that the
  channels call with the channel service key.

Configuration: ``docs/channels.md``.
"""
