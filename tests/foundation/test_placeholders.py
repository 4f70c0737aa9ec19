"""One grammar of ``{name}`` placeholders: every template a dependency declares (a URL, a
function's name or qualifier, a parameter's or a secret's name) refuses a malformed placeholder
when it is declared, with the same words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pypwext import Http, Idempotency, LambdaFunction, Parameter, Secret

DECLARATIONS: dict[str, Callable[[str], Any]] = {
    "Http": lambda bad: Http(f"https://example.com/items/{bad}"),
    "LambdaFunction": lambda bad: LambdaFunction(f"billing-{bad}"),
    "LambdaFunction qualifier": lambda bad: LambdaFunction("billing", qualifier=f"live-{bad}"),
    "Parameter": lambda bad: Parameter(f"/app/{bad}/db-url"),
    "Secret": lambda bad: Secret(f"app/{bad}"),
}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("{STAGE", "an unmatched '{' or '}'"),
        ("STAGE}", "an unmatched '{' or '}'"),
        ("{{STAGE}}", "an unmatched '{' or '}'"),
        ("{item id}", "{item id} is not a placeholder; a placeholder is a Python identifier in braces"),
        ("{1X}", "{1X} is not a placeholder"),
        ("{STAGE!r}", "{STAGE!r} is not a placeholder"),
        ("{STAGE:>3}", "{STAGE:>3} is not a placeholder"),
        ("{ÉTAPE}", "{ÉTAPE} is not a placeholder"),
    ],
)
def test_every_template_refuses_a_malformed_placeholder_with_the_same_words(bad: str, words: str) -> None:
    said: dict[str, str] = {}
    for kind, declare in DECLARATIONS.items():
        with pytest.raises(ValueError, match=r"^malformed ") as refused:
            declare(bad)
        said[kind] = str(refused.value).split("': ", 1)[1]
    assert len(set(said.values())) == 1, said
    assert next(iter(said.values())).startswith(words)


def test_a_well_formed_template_is_filled_the_same_way_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "dev")
    assert LambdaFunction("billing-{STAGE}-{tenant}").function_name(tenant="acme") == "billing-dev-acme"
    assert Parameter("/app/{STAGE}/db-url").resolved_name() == "/app/dev/db-url"
    assert Http("https://{STAGE}.example.com/items/{item_id}").template.names == ("STAGE", "item_id")


def test_an_idempotency_table_follows_the_same_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "dev")
    assert Idempotency(key="body.id", table="idem-{STAGE}").table_name() == "idem-dev"
    with pytest.raises(ValueError, match=r"^malformed Idempotency table 'idem-\{STAGE': an unmatched"):
        Idempotency(key="body.id", table="idem-{STAGE").table_name()
    monkeypatch.delenv("STAGE")
    with pytest.raises(RuntimeError, match="names STAGE, which is not set in the environment"):
        Idempotency(key="body.id", table="idem-{STAGE}").table_name()
