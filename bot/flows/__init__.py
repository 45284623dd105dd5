"""Plain logic of the transactional flows (calibration, financing, complaint, status, feedback).

Nothing here imports Rasa: the rasa_sdk actions in ``actions/`` translate a tracker into a
:class:`~bot.flows.base.Turn` and a slot dictionary, call these functions, and translate the
result back into events and messages. That keeps every rule of the flows unit-testable.
"""
