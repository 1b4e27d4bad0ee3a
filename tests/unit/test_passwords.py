"""Passwords are stored as Argon2id hashes at argon2-cffi's default cost."""

from __future__ import annotations

from argon2 import PasswordHasher

from intake.adapters.passwords import Argon2Passwords


def test_argon2id_at_the_default_cost() -> None:
    passwords = Argon2Passwords()
    hashed = passwords.hash("correct horse battery")
    defaults = PasswordHasher()
    assert hashed.startswith("$argon2id$")
    assert f"m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}" in hashed
    assert "correct horse battery" not in hashed
    assert passwords.verify(hashed, "correct horse battery")
    assert not passwords.verify(hashed, "correct horse batterY")
    assert not passwords.verify("not a hash", "correct horse battery")
    assert not passwords.needs_rehash(hashed)


def test_unknown_users_cost_a_verification_and_never_match() -> None:
    passwords = Argon2Passwords()
    assert not passwords.verify(None, "intake-decoy-password")
    assert not passwords.verify(None, "")


def test_a_cheaper_hash_is_upgraded_on_login() -> None:
    cheap = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    assert Argon2Passwords().needs_rehash(cheap.hash("correct horse battery"))
