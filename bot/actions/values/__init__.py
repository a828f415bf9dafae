"""Understanding field values the way residents say them (contract #2 in the
engineers' protocol): `extract_values` reads every field a user turn gives.

Modules, by what they read: text (Traditional, replies that are not values,
corrections), numbers (Chinese numerals, years, counts), dates (months, ranges,
days), places (gazetteer, origin vs destination), choices (tiers, grades, banks,
yes/no, relations, hukou categories, schema values), identifiers (ID, phone,
account numbers), freetext (names, addresses, school names).
"""

from .extract import extract_values

__all__ = ["extract_values"]


def warm_up() -> None:
    """Load the gazetteer and the numeral/time readers now rather than on the first user turn
    (about 2 s: JioNLP's division data and pinyin of ~1,100 place names)."""
    from . import dates, places

    places.gazetteer()
    dates.numeric("三月")


def _warm_in_background() -> None:
    """Only in the action server (`rasa run actions --actions bot.actions`): the Rasa server also
    imports this package (for its tracker store) but never reads a value. SZ_VALUES_WARM=1/0 forces it."""
    import sys
    import threading

    from bot.settings import load as load_settings

    forced = load_settings().values_warm
    action_server = "--actions" in sys.argv or sys.argv[1:3] == ["run", "actions"]
    if forced == "1" or (forced is None and action_server):
        threading.Thread(target=warm_up, name="values-warm-up", daemon=True).start()


_warm_in_background()
