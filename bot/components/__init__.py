"""Custom NLU components. Importing them (the Rasa server does, to load the model)
also applies the measured speed fix in bot/rasa_speedups.py."""
from bot import rasa_speedups

rasa_speedups.apply()
