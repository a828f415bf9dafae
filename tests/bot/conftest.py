"""The assistant's tests run in development mode: the built-in development secrets (tracker store
key, channel service key) are accepted, as scripts/run.sh accepts them. The security tests that
show them refused outside development mode unset it themselves (docs/security.md)."""

import os

os.environ.setdefault("SZ_DEV_MODE", "1")
