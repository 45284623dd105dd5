"""Handoff to a human agent: the part that runs in the action server.

Why a package of its own: the agent desk (``bot/desk/``) is a web app inside the Rasa server
(Sanic, Rasa channels), while starting a handoff, offering a callback and explaining why a
conversation was handed over is business logic called by ``actions/`` and ``bot/flows``.
Keeping it here lets the flows use it without importing the desk, and keeps this package
free of Rasa, rasa_sdk and Sanic imports like ``bot/flows`` and ``bot/crm``.

``start`` (queue or callback offer), ``callback`` (tickets), ``reasons`` (why a handoff was
requested), ``texts`` (customer-facing wording), ``hours`` (when agents are on duty),
``transcript`` (what the agent reads), ``presence`` (which agents are online).
"""
