"""The structured logger of pypwext services, built on Powertools' ``Logger``.

Every entry carries PyPwExt's fields -- ``level``, ``timestamp``, ``message``, ``service``,
``classification``, ``type``, ``operation``, ``location`` -- and, during an invocation, the
invocation's own: ``cold_start``, ``function_name``, ``function_memory_size``, ``function_arn``,
``function_request_id``, ``correlation_id`` and ``xray_trace_id``.

Redaction: a value classified ``PII`` or ``AUTHORIZATION_INFO`` -- by the method, the service
class, the error that carries it or an attrs/dataclass field's ``metadata={"classification":
...}`` at any depth -- is replaced by :data:`MASK` before it reaches a log line; a header,
query parameter or key whose name says it carries a credential (``Authorization``,
``X-Auth-Token``, ``api_key``, ``X-Amz-Signature``...: :func:`is_credential_name`) and a
request's cookies are always masked. The values that arrived in such fields are also masked
by value in every line of the invocation, wherever they went (:mod:`pypwext.observability.logging._masking`).
Setting ``PYPWEXT_LOG_UNMASKED=true`` lifts the masking for a debugging session; each service
logger then writes a WARNING when it starts.

The Powertools logger (and Powertools itself) is imported the first time a service logs, not at
``import pypwext``.

This package is the face; each idea has its private module: :mod:`._redaction` (what is masked,
and rendering values for a line), :mod:`._masking` (the masking rules by name and by value),
:mod:`._remember` (what one invocation masks by value), :mod:`._traceback` (a logged exception),
:mod:`._encoder` (the one line encoder), :mod:`._levels`, :mod:`._invocation` (the fields of
one invocation), :mod:`._writer` and :mod:`._logger` (``ServiceLogger``) and
:mod:`._formatter` (``ServiceFormatter``, for a Powertools ``Logger``).
"""

from __future__ import annotations

from pypwext._lazy import exports
from pypwext.observability.logging._encoder import format_line as format_line
from pypwext.observability.logging._encoder import message_value as message_value
from pypwext.observability.logging._encoder import timestamp as timestamp
from pypwext.observability.logging._invocation import invocation_fields as invocation_fields
from pypwext.observability.logging._invocation import reset_invocation_fields as reset_invocation_fields
from pypwext.observability.logging._invocation import set_invocation_fields as set_invocation_fields
from pypwext.observability.logging._invocation import take_cold_start as take_cold_start
from pypwext.observability.logging._levels import DEBUG as DEBUG
from pypwext.observability.logging._levels import INFO as INFO
from pypwext.observability.logging._levels import VERBOSE
from pypwext.observability.logging._levels import resolve_level as resolve_level
from pypwext.observability.logging._logger import (
    ServiceLogger,
    current_logger,
)
from pypwext.observability.logging._logger import reset_current_logger as reset_current_logger
from pypwext.observability.logging._logger import set_current_logger as set_current_logger
from pypwext.observability.logging._masking import is_credential_name
from pypwext.observability.logging._redaction import (
    MASK,
    SENSITIVE_HEADERS,
    UNMASK_ENV,
    is_masked,
    redact,
    render,
)
from pypwext.observability.logging._redaction import RENDER_ITEMS as RENDER_ITEMS
from pypwext.observability.logging._remember import new_secrets as new_secrets
from pypwext.observability.logging._remember import remember_input as remember_input
from pypwext.observability.logging._traceback import TRACEBACK_CHAIN as TRACEBACK_CHAIN
from pypwext.observability.logging._traceback import TRACEBACK_FRAMES as TRACEBACK_FRAMES
from pypwext.observability.logging._traceback import format_exception as format_exception

__all__ = [
    "MASK",
    "SENSITIVE_HEADERS",
    "UNMASK_ENV",
    "VERBOSE",
    "ServiceLogger",
    "current_logger",
    "is_credential_name",
    "is_masked",
    "redact",
    "render",
]

# ``ServiceFormatter`` (docs/observability.md: ``pypwext.observability.logging.ServiceFormatter``)
# imports Powertools: it is imported the first time it is asked for, not with the package.
__getattr__, __dir__ = exports(
    __name__, {"ServiceFormatter": "pypwext.observability.logging._formatter"}, [*__all__, "ServiceFormatter"]
)
