"""The one entry point that installs the speed patches of Rasa internals (bot/rasa_ext/speedups.py).

The patches replace private functions of one Rasa release, copied and then changed:
on any other release they could silently change behaviour, so they are installed
only when the installed Rasa is SUPPORTED_RASA_VERSION, with a logged warning
otherwise (Rasa's own code then runs: same answers, slower). SZ_RASA_PATCHES=off
(also 0, false, no) turns them off, e.g. to rule them out when chasing a bug;
this is the only place that reads it.
"""

from __future__ import annotations

import logging
from typing import Mapping, Optional

from bot.settings import RASA_PATCHES_ENV
from bot.settings import load as load_settings

logger = logging.getLogger(__name__)

SUPPORTED_RASA_VERSION = "3.6.21"
SWITCH_ENV = RASA_PATCHES_ENV


def installed_rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def patches_switched_on(environ: Optional[Mapping[str, str]] = None) -> bool:
    return load_settings(environ).rasa_patches


def patches_allowed(rasa_version: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> bool:
    """The one gate of every patch of Rasa internals: switched on, and the installed Rasa is the
    release they were written for (a logged warning otherwise). Used by apply_patches and by the
    two patches that install themselves with the model's components (bot/components/lazy_ted.py,
    bot/retrieval_payload.py)."""
    if not patches_switched_on(environ):
        logger.info("Rasa patches switched off (%s): Rasa's own code runs", SWITCH_ENV)
        return False
    version = installed_rasa_version() if rasa_version is None else rasa_version
    if version != SUPPORTED_RASA_VERSION:
        logger.warning(
            "Rasa %s is installed but the patches of Rasa internals (bot/rasa_ext/speedups.py, "
            "bot/components/lazy_ted.py, bot/retrieval_payload.py) were written and tested for "
            "Rasa %s: not applied (Rasa's own code runs; re-check them with "
            "tests/bot/test_rasa_ext_speedups.py and test_lazy_ted.py before updating "
            "SUPPORTED_RASA_VERSION)",
            version,
            SUPPORTED_RASA_VERSION,
        )
        return False
    return True


def apply_patches(rasa_version: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Install the patches if allowed; True when they are installed (idempotent).

    `rasa_version` and `environ` default to the installed Rasa and the process environment.
    """
    if not patches_allowed(rasa_version, environ):
        return False
    from bot.rasa_ext import speedups

    speedups.install()
    logger.debug("Rasa speed patches applied (Rasa %s)", SUPPORTED_RASA_VERSION)
    return True
