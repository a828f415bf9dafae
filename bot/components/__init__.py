"""Custom NLU components, loaded by module path from config.yml. Importing them (the Rasa
server does, to load the model) also applies the retrieval-payload fix in
bot/retrieval_payload.py (`/faq` buttons). (The speed patches of Rasa internals are
applied by bot/rasa_ext, not here.)"""

from bot import retrieval_payload

retrieval_payload.apply()
