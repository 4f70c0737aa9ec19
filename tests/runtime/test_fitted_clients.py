"""The one rule that fits an AWS client's timeouts to the invocation's remaining time
(pypwext.runtime._fitted), shared by LambdaFunction, Parameter and Secret."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pypwext.runtime._fitted import KEPT_CLIENTS, FittedClients, fit_timeouts, round_down, worst_case_s

seconds = st.floats(min_value=0.1, max_value=900.0, allow_nan=False)


@given(connect=seconds, read=seconds, attempts=st.integers(1, 5), budget=st.floats(0.2, 900.0))
def test_the_longest_a_call_can_take_fits_the_budget(
    connect: float, read: float, attempts: int, budget: float
) -> None:
    got_connect, got_read, got_attempts = fit_timeouts(connect, read, attempts, budget)
    if (got_connect, got_read, got_attempts) == (connect, read, attempts):
        assert worst_case_s(connect, read, attempts) <= budget  # declared only when they fit
    else:
        assert got_attempts == 1  # (no retry, no pause)
        assert got_connect + got_read <= budget
        assert 0.1 <= got_connect <= connect and 0.1 <= got_read <= read


def test_the_worst_case_counts_botocores_pauses_between_attempts() -> None:
    assert worst_case_s(1.0, 2.0, 1) == 3.0
    assert worst_case_s(1.0, 2.0, 2) == 2 * 3.0 + 2.0 + 5.0  # a throttled retry's pause, and retry-after
    assert worst_case_s(1.0, 2.0, 3) == 3 * 3.0 + (2.0 + 5.0) + (4.0 + 5.0)


@given(st.floats(0.0, 10_000.0))
def test_a_cut_timeout_is_rounded_down_to_few_values(value: float) -> None:
    rounded = round_down(value)
    assert rounded <= max(value, 0.1)
    assert rounded >= 0.1
    assert value < 0.2 or rounded > value / 2  # never far below what was left


def test_no_deadline_keeps_the_declared_timeouts() -> None:
    assert fit_timeouts(1.0, 2.0, 2, None) == (1.0, 2.0, 2)


def test_clients_are_built_once_per_timeouts_and_only_a_few_are_kept() -> None:
    built: list[tuple[float, float, int]] = []

    def build(connect_s: float, read_s: float, attempts: int) -> object:
        built.append((connect_s, read_s, attempts))
        return object()

    clients = FittedClients(build, 1.0, 30.0, 1)
    assert built == [(1.0, 30.0, 1)]  # the declared client, at once
    assert clients.fitted(None) is clients.declared
    assert clients.fitted(100.0) is clients.declared and fit_timeouts(1.0, 30.0, 1, 100.0) == (1.0, 30.0, 1)
    first = clients.fitted(5.2)
    assert fit_timeouts(1.0, 30.0, 1, 5.2) == (1.0, 4.0, 1) and clients.get((1.0, 4.0, 1)) is first
    assert clients.fitted(5.9) is first  # the same steps: the same client
    assert len(built) == 2
    for budget in range(6, 6 + 2 * KEPT_CLIENTS):
        clients.fitted(float(budget))
    assert clients.fitted(5.2) is not first  # dropped (least recently used) and built again
    assert len(clients._cut) == KEPT_CLIENTS
