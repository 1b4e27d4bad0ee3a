"""Ways in: the command line (and, later, the daemon)."""
