"""The WeChat channel's name, and what it says and understands by itself (not through Rasa).

Why one module: the channel, its binding dialogue and its output channels all use
these; the assistant's own replies live in the domain and the actions.
"""

from __future__ import annotations

CHANNEL = "wechat"

WELCOME_ZH = (
    "您好，欢迎关注深圳社保个人网上服务！我是智能助手，可以帮您：\n"
    "· 解答社保政策和办事问题\n"
    "· 办理停保、参保登记、社保关系转移转入、本月缴费、参保证明打印等个人业务\n"
    "· 查询缴费明细和预申请进度\n"
    "办理个人业务前，请先发送“绑定”，把微信绑定到您的社保个人网上服务账户。\n"
    "直接告诉我您要办什么就行，比如“我要给孩子停医保”。"
)
UNSUPPORTED_ZH = "抱歉，我暂时只能看懂文字消息。请用文字告诉我您要办理的业务或想咨询的问题。"
VOICE_UNHEARD_ZH = "没听清，请再说一遍。"
BUSY_ZH = "系统繁忙，请稍后再试。"
INTERIM_ZH = "正在处理，请稍候……"
MENU_UNAVAILABLE_ZH = "该菜单暂不可用，请直接用文字告诉我您要办理的业务。"

BIND_WORDS = {"绑定", "bind", "绑定账户", "绑定账号", "账户绑定", "账号绑定", "绑定帐号", "绑定帐户"}
UNBIND_WORDS = {"解绑", "unbind", "解除绑定", "取消绑定", "解绑账户", "解绑账号"}
BIND_MENU_KEYS = {"bind": "bind", "bind_account": "bind", "unbind": "unbind", "unbind_account": "unbind"}
