"""`rasa` with the speed patches: `python -m bot.rasa_ext <rasa arguments>`, e.g.
`python -m bot.rasa_ext run --enable-api --model models` (bot/rasa_ext/patches.py decides
whether they are installed). Everything else is Rasa's own command line."""

from __future__ import annotations

import sys

from bot.rasa_ext.patches import apply_patches


def main() -> None:
    apply_patches()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
