"""Input/output channels: WhatsApp Cloud API, Twilio, the website widget (socket.io) and REST.

Every channel applies the same rules before a message reaches Rasa (``signatures``,
``dedupe``, ``limits``, ``responses``, ``typed_intents``): signatures are verified,
duplicates dropped, oversized or malformed input refused with a clear answer, and typed text
that starts with "/" is kept as text (Rasa would otherwise parse it as an intent, e.g. a
typed "/restart" would end a paused handoff). Patches of Rasa/Sanic live in
``bot/patches.py``, installed when the Rasa server starts (``python -m bot serve-rasa``).
"""

from bot.logging_setup import install_pii_filter

# Rasa imports the channels named in credentials.yml at start-up: from then on every log
# record of the Rasa server (Rasa's own DEBUG lines with message texts included) is masked.
install_pii_filter()
