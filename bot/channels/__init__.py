"""Input/output channels: WhatsApp Cloud API, Twilio, the website widget (socket.io) and REST.

Every channel applies the same rules before a message reaches Rasa: signatures are verified
(``signatures``), duplicates dropped (``dedupe``), oversized or malformed input refused with
a clear answer (``limits``), and typed text that starts with "/" is kept as text
(``typed_intents``; Rasa would otherwise parse it as an intent, e.g. a typed "/restart"
would end a paused handoff).
"""

from bot import rasa_speedups
from bot.logging_setup import install_pii_filter

# Rasa imports the channels named in credentials.yml at start-up: from then on every log
# record of the Rasa server (Rasa's own DEBUG lines with message texts included) is masked.
install_pii_filter()
rasa_speedups.install()
