"""Conversation analytics from Rasa's event broker: `ingest` turns each published
tracker event into rows of the analytics tables (exactly once), `report` reads
them for the dashboard and the NLU export."""
