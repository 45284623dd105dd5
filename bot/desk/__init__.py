"""The agent desk: a web app inside the Rasa server process (Sanic, Rasa channels).

``channel`` (DeskChannel, mounts the desk at /desk), ``views``, ``web``, ``tokens``,
``service``, ``conversation``, ``delivery``, ``live``, ``broker``, ``cli``, ``templates``,
``static``. What the action server needs for a handoff (starting it, callback tickets,
reasons, texts, duty hours, transcripts, presence) lives in ``bot/handoff/``, so the actions
and ``bot/flows`` never import this web app.
"""
