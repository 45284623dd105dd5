"""Bot analytics (issue 17): compact, personal-data-free rows from Rasa's tracker events
(``capture``) and the numbers computed from them (``metrics``).

Why its own package: the logic is plain Python + SQLAlchemy, testable without Rasa; the
Rasa side is only the event broker in ``bot.desk.broker`` that hands events to ``capture``.
"""
