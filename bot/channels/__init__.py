"""Input/output channels: WhatsApp Cloud API, Twilio, the website widget (socket.io) and REST.

Every channel applies the same rules before a message reaches Rasa (see ``guard.py``):
signatures are verified, duplicates dropped, oversized or malformed input refused with a
clear answer, and typed text that starts with "/" is kept as text (Rasa would otherwise
parse it as an intent, e.g. a typed "/restart" would end a paused handoff).
"""
