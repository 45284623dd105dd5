"""rasa_sdk actions: thin classes that delegate to plain functions in bot/."""

from bot.logging_setup import install_pii_filter

# The action server imports this package first: mask personal data in all its log records.
install_pii_filter()
