"""The demo company page with the chat widget (``python -m bot web``).

Not a Rasa channel (the widget talks to the socket.io channel in ``bot/channels/``): a small
separate web server standing in for a real company's website.
"""
