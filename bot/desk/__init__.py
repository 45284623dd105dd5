"""The agent desk and the handoff service.

Action-server side (no Sanic): ``start`` (queue or callback offer), ``callback`` (tickets),
``reasons``, ``texts``, ``hours``, ``transcript``, ``presence``.
Rasa-server side: ``channel`` (DeskChannel, mounts the desk at /desk), ``views``, ``web``,
``tokens``, ``service``, ``conversation``, ``delivery``, ``live``, ``broker``.
"""
