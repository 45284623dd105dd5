"""The back office: every captured request worked through the business's real stages.

One small module per operation (``transition``, ``assign``, ``note``, ``queries``,
``timeline``, ``status_view``, ``api_tokens``), all plain functions over the CRM database,
so the desk pages, the JSON API and the CLI share one implementation and one set of rules.
The state machine and the authorisation are enforced HERE, never only in a UI.

Which value is the truth: ``cases.stage``. The older per-table columns
(``calibration_requests.status``, ``financing_requests.status``, ``complaints.stage``,
``handoffs.status`` for callback tickets) are kept in sync in the same transaction, for the
code that still reads them ("new" on a request means the pipeline's initial stage).

No Rasa or Sanic imports here (layers: desk/channels -> flows/cases -> crm).
"""
