"""The assistant's Rasa side: channels, NLU components, actions.

Under ``rasa shell`` (Rasa's console module is loaded when the model imports
this package) custom payloads are printed readably and ``SZ_SHELL_USER`` logs
in: bot/channels/console.py. Nothing changes for ``rasa run`` or the action server.
"""

import sys as _sys

if "rasa.core.channels.console" in _sys.modules:
    from bot.channels import console as _console

    _console.apply()
