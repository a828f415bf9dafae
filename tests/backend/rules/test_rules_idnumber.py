from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sz_backend.errors import BusinessError
from sz_backend.rules import idnumber
from sz_backend.rules.idnumber import (
    IdInfo,
    check_character,
    iso7064_mod11_2,
    normalize,
    parse,
    upgrade_15_to_18,
    validate,
    validate_15,
)

TODAY = date(2026, 11, 27)


def code_of(fn, *args, **kw) -> BusinessError:
    with pytest.raises(BusinessError) as exc:
        fn(*args, **kw)
    return exc.value


# -- the standard's vectors -------------------------------------------------------


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_standard_vectors_validate(number):
    assert validate(number, today=TODAY) == number
    assert check_character(number[:17]) == number[17]


def test_weights_match_rules_md():
    # iso7064 derives 2**k mod 11; rules.md lists them for positions 1..17.
    assert idnumber.ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for i, weight in enumerate(idnumber.ID_WEIGHTS):
        digits = ["0"] * 17
        digits[i] = "1"
        y = weight % 11
        assert check_character("".join(digits)) == "10X98765432"[y]


def test_iso7064_rejects_non_digits():
    for bad in ["", "12a", "１２"]:
        with pytest.raises(ValueError):
            iso7064_mod11_2(bad)


def test_upgrade_vector():
    assert upgrade_15_to_18("110105491231002", today=TODAY) == "11010519491231002X"


# -- normalisation ----------------------------------------------------------------


def test_normalize_full_width_spaces_dashes_and_lowercase_x():
    assert normalize("１１０１０５ １９４９-１２３１ ００２ｘ") == "11010519491231002X"
    assert normalize(" 110105-19491231-002x ") == "11010519491231002X"
    assert validate("１１０１０５１９４９１２３１００２ｘ", today=TODAY) == "11010519491231002X"


# -- errors -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002X1"])
def test_length(raw):
    err = code_of(validate, raw, today=TODAY)
    assert err.code == "ID_NUMBER_LENGTH"
    assert err.status == 422 and err.field == "id_number"
    assert err.message_zh and err.message_en and err.fix_zh and err.fix_en


def test_length_of_old_number_points_to_upgrade():
    err = code_of(validate, "110105491231002", today=TODAY)
    assert err.code == "ID_NUMBER_LENGTH"
    assert "升位" in err.fix_zh and "upgrade" in err.fix_en


@pytest.mark.parametrize(
    "raw", ["1101051949123100XX", "11010519491231A02X", "11010519491231002Y", "1101051949123100٣X"]
)  # an Arabic-Indic digit
def test_format(raw):
    assert code_of(validate, raw, today=TODAY).code == "ID_NUMBER_FORMAT"


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "17991231"])
def test_impossible_birth_date(birth):
    first17 = "110105" + birth + "002"
    err = code_of(validate, first17 + check_character(first17), today=TODAY)
    assert err.code == "ID_NUMBER_BIRTH_DATE"


def test_future_birth_date():
    first17 = "110105" + "20261128" + "002"
    err = code_of(validate, first17 + check_character(first17), today=TODAY)
    assert err.code == "ID_NUMBER_BIRTH_DATE"
    assert "future" in err.message_en
    # the same number is fine the next day
    assert validate(first17 + check_character(first17), today=date(2026, 11, 28))


def test_leap_day():
    first17 = "440304" + "20000229" + "123"
    assert validate(first17 + check_character(first17), today=TODAY)
    first17 = "440304" + "19000229" + "123"  # 1900 is not a leap year
    assert code_of(validate, first17 + check_character(first17), today=TODAY).code == "ID_NUMBER_BIRTH_DATE"


def test_wrong_check_character_does_not_reveal_the_right_one():
    good = "11010519491231002X"
    errors = [code_of(validate, good[:17] + c, today=TODAY) for c in "0123456789"]
    assert {e.code for e in errors} == {"ID_NUMBER_CHECK"}
    # one message for every wrong character: it cannot contain the right one
    assert len({(e.message_zh, e.message_en, e.fix_zh, e.fix_en) for e in errors}) == 1
    assert "校验" in errors[0].message_zh and "last character" in errors[0].message_en
    assert good not in errors[0].message_zh + errors[0].message_en


def test_validate_without_today_uses_the_clock():
    assert validate("11010519491231002X") == "11010519491231002X"


# -- 15-digit numbers ---------------------------------------------------------------


def test_validate_15():
    assert validate_15(" 110105-491231-002 ", today=TODAY) == "110105491231002"
    assert code_of(validate_15, "11010549123100", today=TODAY).code == "ID_NUMBER_LENGTH"
    assert code_of(validate_15, "11010549123100X", today=TODAY).code == "ID_NUMBER_FORMAT"
    assert code_of(validate_15, "110105490231002", today=TODAY).code == "ID_NUMBER_BIRTH_DATE"


@pytest.mark.parametrize("seq", ["996", "997", "998", "999"])
def test_centenarian_sequences_go_to_manual_handling(seq):
    err = code_of(upgrade_15_to_18, "110105" + "891231" + seq, today=TODAY)
    assert err.code == "ID_UPGRADE_MANUAL"
    assert err.status == 409
    assert "窗口" in err.fix_zh and "window" in err.fix_en


def test_upgrade_validates_its_input():
    assert code_of(upgrade_15_to_18, "11010549123100", today=TODAY).code == "ID_NUMBER_LENGTH"


# -- parse --------------------------------------------------------------------------


def test_parse_18():
    assert parse("11010519491231002x", today=TODAY) == IdInfo("110105", date(1949, 12, 31), "F", 18)
    assert parse("440524188001010014", today=TODAY) == IdInfo("440524", date(1880, 1, 1), "M", 18)


def test_parse_15():
    assert parse("110105491231002", today=TODAY) == IdInfo("110105", date(1949, 12, 31), "F", 15)
    info = parse("110105" + "891231" + "997", today=TODAY)
    assert info.centenarian_code and info.birth_date == date(1889, 12, 31) and info.gender == "M"


def test_parse_errors():
    assert code_of(parse, "1234", today=TODAY).code == "ID_NUMBER_LENGTH"
    assert code_of(parse, "110105194912310021", today=TODAY).code == "ID_NUMBER_CHECK"


# -- properties ---------------------------------------------------------------------

addresses = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")
births = st.dates(date(1900, 1, 1), TODAY)


@given(addresses, births, sequences)
def test_prefix_plus_computed_check_validates(address, born, seq):
    first17 = address + born.strftime("%Y%m%d") + seq
    number = first17 + check_character(first17)
    assert validate(number, today=TODAY) == number
    assert validate(number.lower(), today=TODAY) == number
    info = parse(number, today=TODAY)
    assert (info.address_code, info.birth_date, info.length) == (address, born, 18)
    assert info.gender == ("M" if int(seq[2]) % 2 else "F")
    for other in "0123456789X":
        if other != number[17]:
            assert code_of(validate, first17 + other, today=TODAY).code == "ID_NUMBER_CHECK"


@given(addresses, st.dates(date(1900, 1, 1), date(1999, 12, 31)), st.integers(0, 995).map(lambda n: f"{n:03d}"))
def test_upgrade_output_always_validates(address, born, seq):
    id15 = address + born.strftime("%y%m%d") + seq
    id18 = upgrade_15_to_18(id15, today=TODAY)
    assert validate(id18, today=TODAY) == id18
    old, new = parse(id15, today=TODAY), parse(id18, today=TODAY)
    assert (old.address_code, old.birth_date, old.gender) == (new.address_code, new.birth_date, new.gender)
