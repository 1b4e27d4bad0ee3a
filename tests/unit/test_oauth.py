from __future__ import annotations

import pytest

from intake.adapters.oauth import TokenError, fetch_token


def test_token_is_the_commands_output() -> None:
    assert fetch_token("printf 'ya29.secret-token\\n'") == "ya29.secret-token"


def test_failure_does_not_leak_the_output() -> None:
    with pytest.raises(TokenError) as info:
        fetch_token("sh -c 'echo ya29.partial; echo refresh failed >&2; exit 3'")
    assert "終了コード 3" in str(info.value)
    assert "refresh failed" in str(info.value)
    assert "ya29" not in str(info.value)


@pytest.mark.parametrize("command", ["printf ''", "printf 'two words'"])
def test_output_must_look_like_a_token(command: str) -> None:
    with pytest.raises(TokenError, match="アクセストークンの形"):
        fetch_token(command)


def test_missing_command_and_timeout() -> None:
    with pytest.raises(TokenError, match="見つかりません"):
        fetch_token("/nonexistent/token-helper")
    with pytest.raises(TokenError, match="秒以内"):
        fetch_token("sleep 5", timeout=0.2)
