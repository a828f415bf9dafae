"""Hukou checks shared by every item where the household registration matters.

The article (提示三): when the system says the hukou information is wrong, the
person goes to "个人基本信息变更" and changes the old, too coarse category "非深户"
into "广东省内非深户" or "广东省外户籍", then does the other item. So any item that
looks at the hukou category first refuses the legacy value with that fix, and only
then applies its own hukou rule (e.g. Shenzhen hukou required).

The category on the insurance record can be stale (a hukou moved to Shenzhen is
not on it yet). So a rule that needs Shenzhen hukou asks the hukou registry too:
when the registry says Shenzhen, the person is not refused; the item goes on and
the comparison with the registry decides (a mismatch becomes the comparison's
pre-application, as the article says). Only when neither says Shenzhen is it refused.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...errors import refused
from ...persistence.models import HukouCategory, Person
from .base import Mismatch
from .comparison import hukou_category_mismatch, registry_record

OUTDATED_FIX_ZH = "请进入“个人基本信息变更”，将“非深户”维护为“广东省内非深户”或“广东省外户籍”后再办理"
OUTDATED_FIX_EN = (
    'Go to "change basic personal information" (个人基本信息变更) and change "非深户" (non-Shenzhen) '
    'to "广东省内非深户" (Guangdong, non-Shenzhen) or "广东省外户籍" (outside Guangdong), then try again'
)


def require_current_category(person: Person) -> None:
    """Refuse the legacy "非深户" category until the person has corrected it."""
    if person.hukou_category == HukouCategory.non_shenzhen_legacy:
        raise refused(
            "HUKOU_CATEGORY_OUTDATED",
            "您的户籍类别为“非深户”，户籍信息需要先维护",
            'Your hukou category is recorded as the old "非深户" (non-Shenzhen) and must be corrected first',
            fix_zh=OUTDATED_FIX_ZH,
            fix_en=OUTDATED_FIX_EN,
        )


def registry_says_shenzhen(session: Session, person: Person) -> bool:
    record = registry_record(session, person.id_number)
    return record is not None and record.hukou_category == HukouCategory.shenzhen


def stale_category(session: Session, person: Person) -> Mismatch | None:
    """The record's category where the registry (saying Shenzhen) differs: the window corrects it."""
    record = registry_record(session, person.id_number)
    if record is None or record.hukou_category != HukouCategory.shenzhen:
        return None
    return hukou_category_mismatch(
        person.hukou_category,
        record,
        fix_zh="户籍登记为深户，社保记录中的户籍类别尚未更新：请携带户口簿到窗口，核实后更新户籍类别并办理本业务",
        fix_en="The registry says Shenzhen hukou but your insurance record is not updated yet: bring the hukou book "
        "to a window to have the category updated and this item done",
    )


def correct_from_registry(session: Session, person: Person) -> bool:
    """At a window (originals checked): a stale record takes the registry's Shenzhen category."""
    if stale_category(session, person) is None:
        return False
    person.hukou_category = HukouCategory.shenzhen
    return True


def require_shenzhen_hukou(session: Session, person: Person, item_zh: str, item_en: str) -> None:
    """Only Shenzhen hukou may use the item: by the record, or by the registry when the record is stale
    (then the comparison decides). Otherwise the legacy-category check, then the refusal."""
    if person.hukou_category == HukouCategory.shenzhen or registry_says_shenzhen(session, person):
        return
    require_current_category(person)
    raise refused(
        "NOT_SHENZHEN_HUKOU",
        f"{item_zh}仅限深圳户籍人员办理",
        f"{item_en} is only for people with Shenzhen hukou",
        fix_zh="户籍登记中也不是深户；如户口已迁入深圳，请携带户口簿到社保窗口核实后办理",
        fix_en="The hukou registry does not show Shenzhen hukou either; if your hukou has moved to "
        "Shenzhen, bring the hukou book to a service window",
    )
