"""Test helpers: events shaped like the real ones, a Lambda context, and ``invoke``.

Every factory builds an event with the keys and value types of the real AWS samples in
``fixtures/aws-events`` (checked key by key in ``tests/testing/test_testing.py``), with a fresh request
id and the current time, so a test says *what* request it sends, not how a source wraps it:

>>> from pypwext import BaseService, Request
>>> class Hello(BaseService):
...     def execute(self, request: Request) -> dict[str, str]:
...         return {"hello": request.query.get("name", "world")}
>>> result = invoke(Hello, api_gateway_event("GET", "/hello", query={"name": "Ada"}))
{"level":"INFO",...,"message":"GET /hello -> 200",...}
>>> result.status, result.json
(200, {'hello': 'Ada'})

(The line ``invoke`` prints is the service's log entry on stdout, as on Lambda.)

The toolkit is a package with one module per idea; import everything from ``pypwext.testing``:

- ``_http_events``: :func:`api_gateway_event`, :func:`function_url_event`, :func:`alb_event`
  (bodies, queries, headers and cookies as each HTTP source carries them), each the example
  event of its source's module in :mod:`pypwext.wire`;
- ``_context``: :class:`LambdaContext` and :func:`lambda_context` (a real or test-driven clock);
- ``_records``: the SQS, SNS, Kinesis, DynamoDB stream, EventBridge, schedule and S3 events;
- ``_invoke``: :func:`invoke`, :func:`read_result` and :class:`InvokeResult`;
- ``_fakes``: :class:`FakeHttp`, :class:`FakeLambdaFunction` and the calls they record;
- ``_common``: what the factories share (the test account and address, ``Values``).

This package imports nothing heavy (no boto3, no requests): it is safe to import in any test.
"""

from __future__ import annotations

from pypwext.testing._common import Values as Values  # the factories' annotation, not in __all__
from pypwext.testing._context import ClientContext, CognitoIdentity, LambdaContext, lambda_context
from pypwext.testing._fakes import FakeHttp, FakeLambdaFunction, HttpCall, LambdaCall
from pypwext.testing._http_events import alb_event, api_gateway_event, function_url_event
from pypwext.testing._invoke import InvokeResult, invoke, read_result
from pypwext.testing._invoke import Target as Target  # invoke's annotation, not in __all__
from pypwext.testing._records import (
    dynamodb_stream_event,
    dynamodb_value,
    eventbridge_event,
    kinesis_event,
    s3_event,
    scheduled_event,
    sns_event,
    sqs_event,
)

__all__ = [
    "ClientContext",
    "CognitoIdentity",
    "FakeHttp",
    "FakeLambdaFunction",
    "HttpCall",
    "InvokeResult",
    "LambdaCall",
    "LambdaContext",
    "alb_event",
    "api_gateway_event",
    "dynamodb_stream_event",
    "dynamodb_value",
    "eventbridge_event",
    "function_url_event",
    "invoke",
    "kinesis_event",
    "lambda_context",
    "read_result",
    "s3_event",
    "scheduled_event",
    "sns_event",
    "sqs_event",
]
