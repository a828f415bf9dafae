"""Action server package of the Shenzhen social insurance assistant.

Run it with:  rasa run actions --actions bot.actions   (from the repository root)

Modules, one per concern:
    backend_client  the only way to the business backend (requests, timeouts, off the event loop)
    identity        the caller's backend token from channel metadata; how to log in
    language        zh/en detection (slot `language`, every turn)
    tasks           which intents are items/services; the form's slots per task
    fields          reading one field from an answer (light format checks only)
    items           the generic flow: start, item_form validation, review, submit, cancel
    services        payment, contribution details, certificate, pre-application status, registration
    clarify         vague requests and low-confidence NLU: ask, never guess
    choices         a choice typed instead of clicked ("2", "第二个"): the button it names
    handoff         12333 hotline and service windows
    corrections     reading a correction (which value, what to)
    repair          repeat, "I don't know", corrections at the summary
"""

from . import clarify, handoff, items, language, repair, services  # noqa: F401  (registers the actions)
