"""What the phone channel says by itself (not through Rasa), in Chinese and English.

Why apart: the prompts are the phone's user interface; they are measured against
the phone's budget (rendering.PHONE_MAX_CHARS) by tests/bot/test_ivr_spoken.py and
read by reviewers without the channel's logic around them.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

# The channel's own prompts, (Chinese, English): a caller who speaks English hears English only.
# Each fits the phone's budget (rendering.PHONE_MAX_CHARS); tests/bot/test_ivr_spoken.py measures them.
PROMPTS: Dict[str, Tuple[str, str]] = {
    "greeting": ("您好，这里是深圳社保智能语音服务。", "Hello, this is the Shenzhen social insurance voice service."),
    "ask_id": (
        "咨询问题请直接说。办理个人业务，请按键输入身份证号码后四位，X按星号键，以井号键结束。转人工请按0。",
        "To ask a question, just say it. For personal services, key in the last four characters of your "
        "ID number, star for X, then the pound key. For an agent, press 0.",
    ),
    "ask_id_again": (
        "请按键输入身份证号码后四位，X按星号键，以井号键结束。",
        "Please key in the last four characters of your ID number, star for X, then the pound key.",
    ),
    "need_verify": ("办理个人业务需要先核实身份。", "Personal services need a verification first."),
    "ask_pin": ("请按键输入电话服务密码，以井号键结束。", "Please key in your phone service PIN, then the pound key."),
    "pin_by_keypad": (
        "为保护您的密码，请不要说出来。请按键输入电话服务密码，以井号键结束。",
        "To protect your PIN, please do not say it. Key it in, then the pound key.",
    ),
    "bad_id": (
        "身份证号码后四位是4个字符，最后一位可以是X。请重新输入，X按星号键，以井号键结束。",
        "That should be four characters; the last may be X. Please key it in again, star for X, then the pound key.",
    ),
    "bad_pin": (
        "电话服务密码是4到12位数字。请重新输入，以井号键结束。",
        "The PIN has 4 to 12 digits. Please key it in again, then the pound key.",
    ),
    "verified": ("身份验证成功。", "You are verified."),
    "verify_locked": (
        "密码错误次数过多，验证已暂时锁定。正在为您转接人工服务，请稍候。",
        "Too many wrong PINs: verification is locked for now. Transferring you to an agent.",
    ),
    "too_long": (
        "抱歉，您说的太长了。请用一两句话说出您要办理的业务。",
        "Sorry, that was too long. Please say in a sentence what you would like to do.",
    ),
    "verify_failed": (
        "身份验证没有通过。请重新输入身份证号码后四位，X按星号键，以井号键结束。",
        "The verification failed. Please key in the last four characters of your ID number again, then the pound key.",
    ),
    "verify_unavailable": (
        "抱歉，身份验证暂时无法进行，现在只能为您解答问题。请问有什么可以帮您？",
        "Sorry, verification is not possible right now; I can only answer questions. What can I do for you?",
    ),
    "no_caller": (
        "没有获取到您的来电号码，只能为您解答问题。请问有什么可以帮您？",
        "Your number is hidden, so I can only answer questions. What can I do for you?",
    ),
    "cannot_verify": (
        "没有获取到您的来电号码，电话上无法核实身份。办理个人业务请按0转人工。",
        "Your number is hidden, so I cannot verify you by phone. For personal services, press 0 for an agent.",
    ),
    "ask_what": ("请问您要办理什么业务？", "What would you like to do?"),
    "anything_else": ("请问还有什么可以帮您？", "Anything else I can help with?"),
    "skipped": ("好的。请问有什么可以帮您？", "OK. What can I do for you?"),
    "no_input": ("抱歉，没有听到您的声音。", "Sorry, I did not hear you."),
    "human_hint": ("转人工请按0。", "For an agent, press 0."),
    "transfer": ("正在为您转接人工服务，请稍候。", "Transferring you to an agent, please hold."),
    "say_again": ("好的，请再说一遍。", "OK, please say it again."),
    "say_question": ("请直接说出您的问题，转人工请按0。", "Please say your question. For an agent, press 0."),
    "busy": (
        "抱歉，系统繁忙，请稍后再试。转人工请按0。",
        "Sorry, the system is busy, please try again later. For an agent, press 0.",
    ),
    "key_to_confirm": ("为了确保安全，请用按键确认。", "To be safe, please confirm with a key."),
    "wrong_key": ("没有这个选项。", "That is not an option."),
    "bad_keys": ("没有识别到有效的按键。", "I did not get a valid key."),
    "filler": ("请说出您要办理的业务。", "Please say what you would like to do."),
    "heard": ("您是说“{text}”吗？", "Did you say: {text}?"),
    "sms_sent": ("短信已发送到尾号{tail}的来电号码。", "The text message is on its way to your number ending {tail}."),
    "sms_failed": ("抱歉，短信暂时发送不了。", "Sorry, the text message could not be sent."),
}
HEARD_BUTTONS = {
    "zh": [{"title": "确认", "payload": "1"}, {"title": "重说", "payload": "2"}],
    "en": [{"title": "Yes", "payload": "1"}, {"title": "Say it again", "payload": "2"}],
}

# Speech that carries nothing to act on: a caller checking the line ("喂喂 听得到吗").


def prompt(name: str, lang: str, **values: Any) -> str:
    zh, en = PROMPTS[name]
    return (en if lang == "en" else zh).format(**values)
