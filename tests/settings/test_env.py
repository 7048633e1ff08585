from __future__ import annotations

import pytest

from textbook.env import EnvError, env_bool, env_choice, env_float, env_int, env_list, env_str


def test_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_bool_falls_back_to_its_default_only_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True


def test_a_misspelt_bool_stops_the_process_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(EnvError, match=r"DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", False)


def test_int_rejects_text_and_values_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("N", "ten")
    with pytest.raises(EnvError, match="not an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "-1")
    with pytest.raises(EnvError, match="at least 0"):
        env_int("N", 1, minimum=0)
    monkeypatch.setenv("N", "42")
    assert env_int("N", 1, minimum=0) == 42


def test_float_enforces_its_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISK", "1.5")
    with pytest.raises(EnvError, match=r"must lie in \[0.0, 1.0\]"):
        env_float("RISK", 0.1, low=0.0, high=1.0)
    monkeypatch.setenv("RISK", "0.05")
    assert env_float("RISK", 0.1, low=0.0, high=1.0) == 0.05


def test_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.edu, ,b.edu ,")
    assert env_list("HOSTS") == ["a.edu", "b.edu"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_choice_lists_the_allowed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVICE", "tpu")
    with pytest.raises(EnvError, match="must be one of: cpu, cuda"):
        env_choice("DEVICE", "cpu", ("cpu", "cuda"))


def test_required_string_says_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "   ")
    with pytest.raises(EnvError, match="SECRET_KEY must be set"):
        env_str("SECRET_KEY", required=True)
