"""rasa_sdk actions: thin classes that delegate to plain functions in bot/."""
