"""Demo data: one person for every path the assistant must show (see README).

Seeded on first start when the database has no people. ID numbers are
synthetic but valid (GB 11643 check character); every demo password is
`Demo@2026`. The hukou registry rows here stand in for the public-security
registry; operators load the real one with `python -m sz_backend.cli import-hukou`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .catalogue import get_policy
from .clock import SHANGHAI, add_months, month_key, now
from .persistence.models import (
    BankAccount,
    BankCardRecord,
    Contribution,
    ContributionStatus,
    Enrolment,
    EnrolmentStatus,
    GuardianLink,
    HukouCategory,
    HukouRecord,
    InsuranceType,
    Person,
    RetirementGroupCol,
    Scheme,
    SocialSecurityCard,
    StaffAccount,
    StaffRole,
    Transfer,
    TransferStatus,
    UserAccount,
)
from .rules.idnumber import check_character
from .rules.money import percent_of
from .services.identity import hash_secret

DEMO_PASSWORD = "Demo@2026"
DEMO_PHONE_PIN = "202611"


def make_id(area: str, birth: date, seq: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


@dataclass
class Demo:
    username: str | None
    name: str
    gender: str
    birth: date
    area: str
    seq: int
    hukou: HukouCategory
    registry_hukou: HukouCategory | None = None  # None: same as hukou
    group: RetirementGroupCol = RetirementGroupCol.male_60
    enrol: list[tuple[InsuranceType, Scheme, EnrolmentStatus]] = field(default_factory=list)
    tier: int | None = None
    months_history: int = 0  # months of paid contributions to generate, ending last month
    prior_months: int = 0
    extended_months: int = 0
    first_insured: date | None = None
    retired: bool = False
    in_school: bool = False
    school: str | None = None
    settle_in: date | None = None
    registry_settle_in: date | None | str = "same"
    bank: tuple[str, str] | None = None
    card: tuple[str, str, bool] | None = None
    id15: str | None = None
    phone: str | None = None
    note: str = ""


FLEX = [
    (InsuranceType.pension, Scheme.flexible, EnrolmentStatus.active),
    (InsuranceType.medical, Scheme.flexible, EnrolmentStatus.active),
]
EMPLOYEE = [(t, Scheme.employee, EnrolmentStatus.active) for t in InsuranceType]

DEMOS: list[Demo] = [
    Demo(
        "zhangwei",
        "张伟",
        "M",
        date(1988, 5, 12),
        "440304",
        131,
        HukouCategory.shenzhen,
        enrol=FLEX,
        tier=1,
        months_history=23,
        prior_months=60,
        first_insured=date(2014, 3, 1),
        bank=("招商银行", "6225880212345678"),
        phone="13800138001",
        settle_in=date(2010, 7, 1),
        note="深户灵活就业人员 (flexible worker): pay, stop, change tier, transfer out",
    ),
    Demo(
        "lina",
        "李娜",
        "F",
        date(1990, 8, 20),
        "440305",
        242,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_55,
        enrol=EMPLOYEE,
        months_history=24,
        prior_months=72,
        first_insured=date(2012, 7, 1),
        bank=("中国银行", "6216610200012345"),
        phone="13800138002",
        settle_in=date(2012, 1, 5),
        note="监护人 (guardian) of 李小明, 李小红, 李小乐",
    ),
    Demo(
        None,
        "李小明",
        "M",
        date(2022, 3, 8),
        "440305",
        111,
        HukouCategory.shenzhen,
        enrol=[(InsuranceType.medical, Scheme.child, EnrolmentStatus.active)],
        settle_in=date(2022, 4, 1),
        note="少儿, not in kindergarten/school, enrolled: stop or pay child medical",
    ),
    Demo(
        None,
        "李小红",
        "F",
        date(2014, 9, 1),
        "440305",
        122,
        HukouCategory.shenzhen,
        in_school=True,
        school="深圳市南山区第二实验学校",
        enrol=[(InsuranceType.medical, Scheme.student, EnrolmentStatus.active)],
        settle_in=date(2014, 10, 9),
        note="学生 (student): stop student insurance, maintain student info",
    ),
    Demo(
        None,
        "李小乐",
        "M",
        date(2025, 6, 18),
        "440305",
        133,
        HukouCategory.shenzhen,
        settle_in=date(2026, 6, 1),
        registry_settle_in=None,
        note="少儿 not yet enrolled: the registry has no settle-in date yet -> comparison fails",
    ),
    Demo(
        "chenjing",
        "陈静",
        "F",
        date(1992, 2, 14),
        "440306",
        224,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_55,
        enrol=EMPLOYEE,
        months_history=24,
        prior_months=80,
        first_insured=date(2013, 3, 1),
        bank=("中国建设银行", "6217003200098765"),
        phone="13800138003",
        settle_in=date(2015, 5, 20),
        note="guardian of 陈安安 (first enrolment passes)",
    ),
    Demo(
        None,
        "陈安安",
        "F",
        date(2024, 11, 2),
        "440306",
        142,
        HukouCategory.shenzhen,
        settle_in=date(2025, 1, 10),
        note="少儿 not enrolled, registry matches -> first enrolment completes online",
    ),
    Demo(
        "huangqiang",
        "黄强",
        "M",
        date(1985, 10, 3),
        "441900",
        153,
        HukouCategory.non_shenzhen_legacy,
        registry_hukou=HukouCategory.guangdong_non_shenzhen,
        enrol=EMPLOYEE,
        months_history=24,
        prior_months=96,
        first_insured=date(2010, 1, 1),
        bank=("中国工商银行", "6222020200011112222"),
        phone="13800138004",
        note="东莞户籍 recorded as “非深户”: must correct the hukou category (article's case)",
    ),
    Demo(
        "liuyang",
        "刘洋",
        "M",
        date(1993, 4, 27),
        "440307",
        171,
        HukouCategory.shenzhen,
        enrol=FLEX,
        tier=2,
        months_history=24,
        prior_months=20,
        first_insured=date(2019, 1, 1),
        card=("平安银行", "6230580000012345", True),
        bank=("平安银行", "6230580000012345"),
        phone="13800138005",
        settle_in=date(2016, 8, 8),
        note="activated financial social security card: payment bank cannot be changed",
    ),
    Demo(
        "zhaojianguo",
        "赵建国",
        "M",
        date(1962, 3, 15),
        "440303",
        191,
        HukouCategory.shenzhen,
        enrol=[
            (InsuranceType.pension, Scheme.employee, EnrolmentStatus.stopped),
            (InsuranceType.medical, Scheme.employee, EnrolmentStatus.stopped),
        ],
        prior_months=300,
        first_insured=date(1995, 1, 1),
        retired=True,
        bank=("中国农业银行", "6228480000123456789"),
        phone="13800138006",
        settle_in=date(1990, 1, 1),
        note="retired: continue medical insurance after retirement",
    ),
    Demo(
        "sunli",
        "孙立",
        "M",
        date(1978, 5, 12),
        "440301",
        123,
        HukouCategory.shenzhen,
        enrol=EMPLOYEE,
        months_history=12,
        prior_months=200,
        first_insured=date(2000, 1, 1),
        bank=("交通银行", "6222600000001234"),
        id15="440301780512123",
        phone="13800138007",
        settle_in=date(1998, 1, 1),
        note="15-digit ID number: upgrade to 18 digits",
    ),
    Demo(
        "zhoumin",
        "周敏",
        "F",
        date(1989, 12, 1),
        "440304",
        246,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_55,
        enrol=EMPLOYEE,
        months_history=24,
        prior_months=48,
        first_insured=date(2015, 1, 1),
        bank=("中信银行", "6217680000055555"),
        phone="13800138008",
        settle_in=date(2011, 3, 3),
        note="pending pension transfer-out (cancellable); medical transfer accepted (not)",
    ),
    Demo(
        "wugang",
        "吴刚",
        "M",
        date(1966, 1, 10),
        "440303",
        117,
        HukouCategory.shenzhen,
        enrol=[
            (InsuranceType.pension, Scheme.flexible, EnrolmentStatus.stopped),
            (InsuranceType.medical, Scheme.flexible, EnrolmentStatus.active),
        ],
        tier=2,
        months_history=10,
        prior_months=140,
        first_insured=date(2008, 1, 1),
        bank=("中国民生银行", "6226220000077777"),
        phone="13800138009",
        settle_in=date(2000, 1, 1),
        note="past retirement age with 150 months < 180: 延缴",
    ),
    Demo(
        "qianfang",
        "钱芳",
        "F",
        date(1972, 4, 8),
        "440306",
        208,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_50,
        enrol=[(InsuranceType.pension, Scheme.flexible, EnrolmentStatus.stopped)],
        prior_months=100,
        extended_months=60,
        first_insured=date(2009, 5, 1),
        bank=("中国光大银行", "6226620000088888"),
        phone="13800138010",
        settle_in=date(1999, 9, 9),
        note="extended 5 years, still short, insured before 2011: 趸缴",
    ),
    Demo(
        "heli",
        "何丽",
        "F",
        date(1980, 7, 7),
        "440309",
        228,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_50,
        enrol=[
            (InsuranceType.medical, Scheme.resident, EnrolmentStatus.active),
            (InsuranceType.pension, Scheme.resident, EnrolmentStatus.active),
        ],
        months_history=0,
        bank=("中国邮政储蓄银行", "6221880000099999"),
        phone="13800138011",
        settle_in=date(2005, 5, 5),
        note="residents' insurance member: stop/resume, change grade",
    ),
    Demo(
        "machao",
        "马超",
        "M",
        date(1991, 11, 11),
        "440310",
        159,
        HukouCategory.shenzhen,
        enrol=FLEX,
        tier=1,
        months_history=12,
        prior_months=30,
        first_insured=date(2021, 1, 1),
        bank=("深圳农村商业银行", "6231560000012121"),
        phone="13800138012",
        settle_in=date(2013, 3, 1),
        note="last month's bank deduction failed: 补托收",
    ),
    Demo(
        "gaoyuan",
        "高远",
        "M",
        date(1996, 6, 6),
        "440311",
        135,
        HukouCategory.shenzhen,
        bank=("招商银行", "6225880299990000"),
        phone="13800138013",
        settle_in=date(2018, 9, 1),
        note="Shenzhen hukou, not insured yet: register as a flexible worker",
    ),
    Demo(
        None,
        "林晓",
        "F",
        date(1998, 1, 20),
        "440304",
        260,
        HukouCategory.shenzhen,
        group=RetirementGroupCol.female_55,
        phone="13800138014",
        settle_in=date(2016, 1, 1),
        note="no account yet: register a new user (bank 招商银行)",
    ),
]
# Cards the banks hold for people who have not given them to us yet: 林晓 registers with hers.
BANK_CARDS_WITHOUT_ACCOUNT = {"林晓": ("招商银行", "6225880211112222")}
GUARDIANS = {"李娜": ["李小明", "李小红", "李小乐"], "陈静": ["陈安安"]}


def _contributions(person: Person, enrolment: Enrolment, months: int, this_month: str) -> list[Contribution]:
    policy = get_policy()["contribution"]
    rows = []
    for i in range(months, 0, -1):
        month = add_months(this_month, -i)
        base = enrolment.base_fen
        if enrolment.scheme == Scheme.employee:
            rates = policy["employee_rates"][enrolment.insurance.value]
            employer, personal = (
                percent_of(base, Decimal(rates["employer"])),
                percent_of(base, Decimal(rates["personal"])),
            )
        else:
            rate = (
                policy["pension_rate"]
                if enrolment.insurance == InsuranceType.pension
                else policy["medical_tier_rates"][str(enrolment.medical_tier or 1)]
            )
            employer, personal = 0, percent_of(base, Decimal(rate))
        rows.append(
            Contribution(
                person_id=person.id,
                month=month,
                insurance=enrolment.insurance,
                scheme=enrolment.scheme,
                base_fen=base,
                employer_fen=employer,
                personal_fen=personal,
                status=ContributionStatus.paid,
                paid_at=datetime.fromisoformat(f"{month}-15T10:00:00").replace(tzinfo=SHANGHAI),
            )
        )
    return rows


def seed_demo(session: Session) -> bool:
    """Insert the demo people unless people already exist. Returns True when seeded."""
    if session.scalar(select(func.count()).select_from(Person)):
        return False
    today = now()
    this_month = month_key(today)
    policy = get_policy()
    people: dict[str, Person] = {}
    for d in DEMOS:
        id_number = d.id15 or make_id(d.area, d.birth, d.seq)
        person = Person(
            id_number=id_number,
            name=d.name,
            gender=d.gender,
            birth_date=d.birth,
            phone=d.phone,
            address="深圳市",
            hukou_category=d.hukou,
            settle_in_date=d.settle_in,
            retirement_group=d.group,
            is_retired=d.retired,
            in_school=d.in_school,
            school_name=d.school,
            first_insured_on=d.first_insured,
            prior_contribution_months=d.prior_months,
            extended_months=d.extended_months,
        )
        session.add(person)
        session.flush()
        people[d.name] = person
        settle = d.settle_in if d.registry_settle_in == "same" else d.registry_settle_in
        session.add(
            HukouRecord(
                id_number=id_number,
                name=d.name,
                hukou_category=d.registry_hukou or d.hukou,
                hukou_address="广东省东莞市" if d.registry_hukou else "广东省深圳市",
                settle_in_date=settle if (d.registry_hukou or d.hukou) == HukouCategory.shenzhen else None,
            )
        )
        for insurance, scheme, status in d.enrol:
            base = (
                policy["contribution"]["flexible_default_base_fen"]
                if scheme == Scheme.flexible
                else (1_200_000 if scheme == Scheme.employee else 0)
            )
            enrolment = Enrolment(
                person_id=person.id,
                insurance=insurance,
                scheme=scheme,
                status=status,
                medical_tier=d.tier
                if insurance == InsuranceType.medical and scheme == Scheme.flexible
                else (1 if insurance == InsuranceType.medical and scheme == Scheme.employee else None),
                pension_grade=3 if scheme == Scheme.resident and insurance == InsuranceType.pension else None,
                base_fen=base,
                start_month=add_months(this_month, -max(d.months_history, 1)),
                end_month=add_months(this_month, -1) if status == EnrolmentStatus.stopped else None,
            )
            session.add(enrolment)
            session.flush()
            if d.months_history and base and (status == EnrolmentStatus.active or d.name == "吴刚"):
                session.add_all(_contributions(person, enrolment, d.months_history, this_month))
        if d.bank:
            session.add(
                BankAccount(
                    person_id=person.id,
                    bank_name=d.bank[0],
                    account_no=d.bank[1],
                    holder_name=d.name,
                    opened_in_shenzhen=True,
                    is_payment_account=True,
                )
            )
        # The banks' records (services/bank_verification.py): the card and the phone the bank holds.
        for bank_name, card_no in filter(None, (d.bank, BANK_CARDS_WITHOUT_ACCOUNT.get(d.name))):
            if d.phone:
                session.add(
                    BankCardRecord(
                        bank_name=bank_name,
                        card_no=card_no,
                        holder_name=d.name,
                        holder_id_number=id_number,
                        phone=d.phone,
                        opened_in_shenzhen=True,
                    )
                )
        if d.card:
            session.add(
                SocialSecurityCard(person_id=person.id, bank_name=d.card[0], card_no=d.card[1], activated=d.card[2])
            )
        if d.username:
            session.add(
                UserAccount(
                    person_id=person.id,
                    username=d.username,
                    password_hash=hash_secret(DEMO_PASSWORD),
                    phone_pin_hash=hash_secret(DEMO_PHONE_PIN),
                )
            )
    for guardian, children in GUARDIANS.items():
        for child in children:
            session.add(GuardianLink(guardian_id=people[guardian].id, child_id=people[child].id, relation="mother"))
    session.flush()
    # 马超: last month's deduction failed.
    last = add_months(this_month, -1)
    for c in session.scalars(
        select(Contribution).where(Contribution.person_id == people["马超"].id, Contribution.month == last)
    ):
        c.status, c.paid_at = ContributionStatus.failed, None
    # 周敏: a pension transfer-out waiting for the other side; a medical one already accepted.
    session.add(
        Transfer(
            person_id=people["周敏"].id,
            insurance=InsuranceType.pension,
            destination_province="湖南省",
            destination_city="长沙",
            within_province=False,
            status=TransferStatus.submitted,
        )
    )
    session.add(
        Transfer(
            person_id=people["周敏"].id,
            insurance=InsuranceType.medical,
            destination_province="湖南省",
            destination_city="长沙",
            within_province=False,
            status=TransferStatus.accepted,
        )
    )
    return True


# Demo window staff (same demo password): a clerk and a supervisor.
DEMO_STAFF = (("clerk01", "王窗口", StaffRole.clerk), ("super01", "刘主管", StaffRole.supervisor))


def seed_demo_staff(session: Session) -> bool:
    """Insert the demo staff unless staff accounts already exist (also into a database seeded earlier)."""
    if session.scalar(select(func.count()).select_from(StaffAccount)):
        return False
    for username, name, role in DEMO_STAFF:
        session.add(
            StaffAccount(username=username, display_name=name, role=role, password_hash=hash_secret(DEMO_PASSWORD))
        )
    return True
