"""The trace context pypwext reads from outside (Lambda's header, a caller's, a record's): every
input is either a valid context or none, never an exception; X-Ray's ids map to W3C's and back."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from opentelemetry.trace import SpanContext, TraceFlags

from pypwext.observability._otel.spans import record_context, xray_header, xray_span_context

ids128 = st.integers(min_value=1, max_value=2**128 - 1)
ids64 = st.integers(min_value=1, max_value=2**64 - 1)


@settings(max_examples=200)
@given(trace_id=ids128, span_id=ids64, sampled=st.booleans())
def test_xray_header_round_trip(trace_id: int, span_id: int, sampled: bool) -> None:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    header = xray_header(SpanContext(trace_id, span_id, is_remote=False, trace_flags=flags))
    back = xray_span_context(header, sampled_only=False)
    assert back is not None and (back.trace_id, back.span_id) == (trace_id, span_id)
    assert back.trace_flags.sampled is sampled
    assert (xray_span_context(header) is None) is (not sampled)  # only a sampled header is a parent


def test_the_documented_mapping() -> None:
    found = xray_span_context("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    assert found is not None
    assert format(found.trace_id, "032x") == "5759e988bd862e3fe1be46a994272793"
    assert format(found.span_id, "016x") == "53995c3f42cd8ad8"


def _valid_or_none(found: SpanContext | None) -> None:
    if found is not None:
        assert found.is_valid and 0 < found.trace_id < 2**128 and 0 < found.span_id < 2**64


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=120),
        st.builds(
            lambda root, parent, sampled: f"Root={root};Parent={parent};Sampled={sampled}",
            st.text(alphabet="0123456789abcdefABCDEF-+x ", max_size=40),
            st.text(alphabet="0123456789abcdef-+x ", max_size=20),
            st.sampled_from(["1", "0", "", "?"]),
        ),
    )
)
@example("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=-3995c3f42cd8ad8;Sampled=1")  # int() takes signs
@example("Root=1--759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
@example("Root=1-0x59e988-bd862e3fe1be46a994272793;Parent=0x995c3f42cd8ad8;Sampled=1")  # and 0x
def test_any_trace_header_is_a_context_or_none(header: str) -> None:
    _valid_or_none(xray_span_context(header, sampled_only=False))
    _valid_or_none(xray_span_context(header))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    record=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "messageAttributes": st.one_of(
                    json_values,
                    st.fixed_dictionaries(
                        {
                            "traceparent": st.one_of(
                                json_values, st.fixed_dictionaries({"stringValue": json_values})
                            )
                        }
                    ),
                ),
                "attributes": st.one_of(json_values, st.fixed_dictionaries({"AWSTraceHeader": json_values})),
                "Sns": json_values,
            }
        ),
    )
)
def test_any_record_is_a_context_or_none(record: Any) -> None:
    _valid_or_none(record_context(record))
