"""Notifications: what the business owes a customer, delivered by the worker.

Why an outbox: a message to a customer must be sent exactly when the change that causes it
is committed, and never from inside a request handler or a database transaction (a rollback
would leave a message sent for a change that never happened; a crash after commit would
lose it). So whoever changes a case writes a ``notifications`` row in the SAME transaction
(``bot.notify.outbox.enqueue``), and ``python -m bot worker`` claims due rows and sends them.

No Rasa or Sanic imports here: the action server, the desk and the worker all use it.
"""
