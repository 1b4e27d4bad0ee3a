"""The operator web console: server-rendered pages over the same services as the CLI.

- ``app.create_app(desk, clock=…, refresh_settings=…)``: the Starlette app over one
  ``bootstrap.App``; settings are read from ``desk.settings`` on every request.
- ``security``: the gate every request passes (login, CSRF on every POST, viewers refused,
  security headers); pages never repeat these checks.
- ``context``: what a page uses — ``current_user``, ``settings_of``, ``unit_of_work``, ``now``,
  ``actor`` (the operator for audit events), ``posted_form``, ``render``, ``redirect``.
- ``routes/``: one module per page, each exporting ``routes``; ``routes.all_routes`` joins them.
- ``navigation``: the pages in menu order; a page not built yet is served by a placeholder.
- ``downloads``: attachments and exports as downloads (never inline, safe file names).
- ``server``: uvicorn in a thread, for `intake web`, `intake run` and `intake demo --web`.
"""
