"""Hukou checks shared by every item where the household registration matters.

The article (提示三): when the system says the hukou information is wrong, the
person goes to "个人基本信息变更" and changes the old, too coarse category "非深户"
into "广东省内非深户" or "广东省外户籍", then does the other item. So any item that
looks at the hukou category first refuses the legacy value with that fix, and only
then applies its own hukou rule (e.g. Shenzhen hukou required).
"""
from __future__ import annotations

from ...errors import refused
from ...persistence.models import HukouCategory, Person

OUTDATED_FIX_ZH = "请进入“个人基本信息变更”，将“非深户”维护为“广东省内非深户”或“广东省外户籍”后再办理"
OUTDATED_FIX_EN = ('Go to "change basic personal information" (个人基本信息变更) and change "非深户" (non-Shenzhen) '
                   'to "广东省内非深户" (Guangdong, non-Shenzhen) or "广东省外户籍" (outside Guangdong), then try again')


def require_current_category(person: Person) -> None:
    """Refuse the legacy "非深户" category until the person has corrected it."""
    if person.hukou_category == HukouCategory.non_shenzhen_legacy:
        raise refused("HUKOU_CATEGORY_OUTDATED", "您的户籍类别为“非深户”，户籍信息需要先维护",
                      'Your hukou category is recorded as the old "非深户" (non-Shenzhen) and must be corrected first',
                      fix_zh=OUTDATED_FIX_ZH, fix_en=OUTDATED_FIX_EN)


def require_shenzhen_hukou(person: Person, item_zh: str, item_en: str) -> None:
    """The legacy-category check, then: only Shenzhen hukou may use the item."""
    require_current_category(person)
    if person.hukou_category != HukouCategory.shenzhen:
        raise refused("NOT_SHENZHEN_HUKOU", f"{item_zh}仅限深圳户籍人员办理",
                      f"{item_en} is only for people with Shenzhen hukou",
                      fix_zh="如已迁入深圳户籍，请先在“个人基本信息变更”中更新户籍类别",
                      fix_en="If you now have Shenzhen hukou, update the hukou category in basic information first")
