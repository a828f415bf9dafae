"""Custom NLU components. Importing them (the Rasa server does, to load the model)
also applies the measured speed fix in bot/rasa_speedups.py and the retrieval-payload
fix in bot/retrieval_payload.py (`/faq` buttons)."""
from bot import rasa_speedups, retrieval_payload

rasa_speedups.apply()
retrieval_payload.apply()
