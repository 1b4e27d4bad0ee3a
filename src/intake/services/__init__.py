"""Use cases over a unit of work: ingest a message, poll a mailbox, review rejections."""
