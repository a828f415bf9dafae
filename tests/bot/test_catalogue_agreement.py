"""The catalogue and the bot agree: a code or field name added, renamed or dropped in one place
and not in the others fails here, naming the copy that differs.

The source is /work/shared/spec/catalog.yml, copied into backend/data/catalog.codes.yml (the
backend's spec) with the details in backend/data/catalog.yml. Copies checked:
- the Rasa domain (domain.yml): one intent per item and service code, the FAQ topics, the
  item_form slots and their slot definitions;
- the NLU data (examples for every code) and the rule that starts the task flow for each;
- the backend: one item handler per item code (services.items REGISTRY), the catalogue it serves
  (services and field names);
- bot/actions/tasks.py (ITEM_CODES, SERVICE_CODES, VAGUE_CODES, SERVICE_FIELDS, ASK_WHEN),
  clarify.py (the vague groupings, other choices, FAQ buttons) and common.py (FIELD_SLOTS,
  FORM_ONLY_SLOTS).
The backend is read by its own interpreter (its environment is not the bot's).
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest
import yaml

pytest.importorskip("rasa_sdk")

from channel_fixtures import BACKEND_PY, REPO  # noqa: E402

from bot.actions import clarify, common, tasks  # noqa: E402

SPEC_FILE = Path("/work/shared/spec/catalog.yml")
CODES_FILE = REPO / "backend" / "data" / "catalog.codes.yml"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    """The project's copy of the spec (the shared original is compared when it is there)."""
    return _yaml(CODES_FILE)


@pytest.fixture(scope="module")
def item_codes(spec: Dict[str, Any]) -> List[str]:
    return [e["code"] for e in spec["items"]]


@pytest.fixture(scope="module")
def service_codes(spec: Dict[str, Any]) -> List[str]:
    return [e["code"] for e in spec["services"]]


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    merged: Dict[str, Any] = {"intents": [], "slots": {}, "forms": {}, "responses": {}}
    for path in [REPO / "domain.yml"]:
        data = _yaml(path)
        merged["intents"] += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
        for key in ("slots", "forms", "responses"):
            merged[key].update(data.get(key) or {})
    for path in sorted((REPO / "bot" / "data" / "responses").glob("*.yml")):
        merged["responses"].update(_yaml(path).get("responses") or {})
    return merged


@pytest.fixture(scope="module")
def backend() -> Dict[str, Any]:
    """Item handler codes and the catalogue as the backend serves it (GET /catalogue builds on it)."""
    if not BACKEND_PY.exists():
        pytest.skip("backend virtual environment missing (run scripts/setup.sh)")
    code = (
        "import json\n"
        "import sz_backend.services.items.handlers  # registers every handler\n"
        "from sz_backend.services.items.base import REGISTRY\n"
        "from sz_backend.catalogue import get_catalogue\n"
        "cat = get_catalogue()\n"
        "print(json.dumps({'handlers': sorted(REGISTRY),\n"
        "  'items': {e.code: [f.name for f in e.fields] for e in cat.items},\n"
        "  'services': [e.code for e in cat.services]}))\n"
    )
    out = subprocess.run(
        [str(BACKEND_PY), "-c", code], cwd=REPO / "backend", capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _no_duplicates(name: str, values: Any) -> None:
    dupes = [v for v, n in Counter(values).items() if n > 1]
    assert not dupes, f"{name} lists {dupes} twice"


def _same(name: str, got: Any, want: Any) -> None:
    got, want = set(got), set(want)
    assert got == want, f"{name}: missing {sorted(want - got)}, unknown {sorted(got - want)}"


def test_the_backend_spec_is_the_shared_catalogue() -> None:
    if not SPEC_FILE.exists():
        pytest.skip(f"{SPEC_FILE} is not on this machine")
    assert CODES_FILE.read_text(encoding="utf-8") == SPEC_FILE.read_text(encoding="utf-8"), (
        f"{CODES_FILE} is no longer a copy of {SPEC_FILE}"
    )


def test_codes_are_unique_and_items_and_services_apart(item_codes: List[str], service_codes: List[str]) -> None:
    _no_duplicates("the catalogue's items", item_codes)
    _no_duplicates("the catalogue's services", service_codes)
    assert not set(item_codes) & set(service_codes)


def test_every_code_is_an_intent_of_the_domain(
    domain: Dict[str, Any], spec: Dict[str, Any], item_codes: List[str], service_codes: List[str]
) -> None:
    _no_duplicates("the domain's intents", [i for i in domain["intents"] if i != "faq"])
    missing = [
        c
        for c in item_codes + service_codes + list(spec.get("conversation_intents") or [])
        if c not in domain["intents"]
    ]
    assert not missing, f"catalogue codes that are not intents of domain.yml: {missing}"


def test_every_faq_topic_has_an_answer(domain: Dict[str, Any], spec: Dict[str, Any]) -> None:
    answered = {name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")}
    wanted = {t["topic"] for t in spec.get("faq_topics") or []}
    assert "faq" in domain["intents"]
    assert not wanted - answered, f"faq topics without utter_faq/<topic>: {sorted(wanted - answered)}"
    assert not set(clarify.FAQ_TOPICS) - answered, (
        f"clarify.FAQ_TOPICS offers topics nobody answers: {sorted(set(clarify.FAQ_TOPICS) - answered)}"
    )


def test_every_code_has_nlu_examples_and_starts_the_task_flow(item_codes: List[str], service_codes: List[str]) -> None:
    examples: Set[str] = set()
    for path in (REPO / "bot" / "data" / "nlu").glob("*.yml"):
        examples |= {e["intent"] for e in _yaml(path).get("nlu") or [] if "intent" in e and e.get("examples")}
    missing = [c for c in item_codes + service_codes + list(tasks.VAGUE_CODES) if c not in examples]
    assert not missing, f"intents without NLU examples in bot/data/nlu: {missing}"
    starts: Set[str] = set()
    for path in (REPO / "bot" / "data" / "rules").glob("*.yml"):
        for rule in _yaml(path).get("rules") or []:
            steps = rule.get("steps") or []
            if len(steps) >= 2 and steps[1].get("action") == "action_start_task" and "intent" in steps[0]:
                starts.add(steps[0]["intent"])
    missing = [c for c in tasks.TASK_INTENTS if c not in starts]
    assert not missing, f"task intents without a rule starting action_start_task (bot/data/rules): {missing}"


def test_every_item_has_one_backend_handler(
    backend: Dict[str, Any], item_codes: List[str], service_codes: List[str]
) -> None:
    _same("backend item handlers (services/items REGISTRY)", backend["handlers"], item_codes)
    _same("backend catalogue items", backend["items"], item_codes)
    _same("backend catalogue services", backend["services"], service_codes)


def test_the_bot_lists_exactly_the_catalogue_codes(
    item_codes: List[str], service_codes: List[str], domain: Dict[str, Any]
) -> None:
    _no_duplicates("tasks.TASK_INTENTS", tasks.TASK_INTENTS)
    _same("bot/actions/tasks.py ITEM_CODES", tasks.ITEM_CODES, item_codes)
    _same("bot/actions/tasks.py SERVICE_CODES", tasks.SERVICE_CODES, service_codes)
    assert not set(tasks.VAGUE_CODES) & set(item_codes + service_codes)
    assert set(tasks.VAGUE_CODES) <= set(domain["intents"]), "vague requests must be domain intents"
    assert set(tasks.CHANGING_SERVICES) <= set(service_codes)
    assert set(tasks.SERVICE_FIELDS) <= set(service_codes)


def test_clarify_groups_name_only_existing_codes(
    item_codes: List[str], service_codes: List[str], domain: Dict[str, Any]
) -> None:
    _same("clarify.VAGUE groups", clarify.VAGUE, tasks.VAGUE_CODES)
    _same("clarify.VAGUE_NAMES", clarify.VAGUE_NAMES, tasks.VAGUE_CODES)
    for group, members in clarify.VAGUE.items():
        unknown = [c for c in members if c not in item_codes]
        assert not unknown, f"clarify.VAGUE[{group!r}] names codes the catalogue does not have: {unknown}"
        _no_duplicates(f"clarify.VAGUE[{group!r}]", members)
    unknown = [c for c in clarify.OTHER_CHOICES if c not in domain["intents"]]
    assert not unknown, f"clarify.OTHER_CHOICES offers intents the domain does not have: {unknown}"


def test_form_slots_are_the_catalogue_field_names(backend: Dict[str, Any], domain: Dict[str, Any]) -> None:
    field_names = {name for names in backend["items"].values() for name in names}
    service_fields = {f["name"] for fields in tasks.SERVICE_FIELDS.values() for f in fields}
    _no_duplicates("common.FIELD_SLOTS + FORM_ONLY_SLOTS", common.FIELD_SLOTS + common.FORM_ONLY_SLOTS)
    _same("bot/actions/common.py FIELD_SLOTS (backend field names)", common.FIELD_SLOTS, field_names)
    _same("bot/actions/common.py FORM_ONLY_SLOTS", common.FORM_ONLY_SLOTS, {tasks.CHANGE_TARGET} | service_fields)
    form = domain["forms"]["item_form"]["required_slots"]
    _no_duplicates("item_form's required_slots", form)
    _same("domain item_form required_slots", form, common.FIELD_SLOTS + common.FORM_ONLY_SLOTS)
    missing = [s for s in form if s not in domain["slots"]]
    assert not missing, f"item_form slots without a slot definition in domain.yml: {missing}"
    for name, (depends_on, _value) in tasks.ASK_WHEN.items():
        assert name in field_names and depends_on in field_names, f"tasks.ASK_WHEN[{name!r}]"
