"""The read side: every list and detail the command line and the web console show.

Each function takes the query port (:class:`~intake.services.views.ports.ReadQueries`, from
``with app.read() as q``) and returns frozen records of :mod:`intake.domain.readmodel`;
no database object leaves the adapter. A record that does not exist raises
:class:`intake.services.review.NotFound` with a Japanese sentence.

- :mod:`.messages`: ``list_messages``, ``message_detail`` (headers, text body, attachments),
  ``attachment_content`` (the bytes to download, checked against their sha256)
- :mod:`.rejections`: ``list_rejections`` (filters, search, sort, paging), ``rejection_ids``,
  ``rejection_detail`` (reasons, forms, notices, history), ``get_notice``
- :mod:`.applications`: ``list_applications``, ``application_detail``, ``list_acks``,
  ``acks_by_id``, ``get_ack``
- :mod:`.desk`: ``term_overviews``, ``term_warnings``, ``list_cutoffs``, ``desk_status``,
  ``history``
"""
