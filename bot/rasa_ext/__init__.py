"""Extensions of the Rasa server (not actions: the action server never imports this package).

    tracker_store  RedactingSQLTrackerStore: no secrets or personal numbers in clear, faster reads
    lock_store     AtomicRedisLockStore: Rasa's Redis lock store with atomic ticket steps
    speedups       measured speed patches of Rasa 3.6.21 internals (same behaviour, tested)
    patches        apply_patches(): the one place that installs them, after a version check
                   and unless SZ_RASA_PATCHES=off
    __main__       the Rasa command line with the patches applied:
                   python -m bot.rasa_ext run --enable-api ...   (instead of `rasa run ...`)

The stores are loaded by module path from endpoints.yml. The patches are applied only by
the launcher (scripts/run.sh, the test and benchmark stacks, training in scripts/env.sh):
a plain `rasa run` / `rasa test` runs Rasa's own code, only slower. Importing this
package or any of its modules changes nothing in Rasa.
bot/components/lazy_ted.py (a policy that patches Rasa's ensemble when the model loads it,
through the same gate: patches.patches_allowed)
is part of the model and stays with the NLU components.
"""
