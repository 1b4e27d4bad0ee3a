"""Pure rules and decisions: no I/O, unit-testable with plain values."""
