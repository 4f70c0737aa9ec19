"""CloudWatch metrics of pypwext services through Powertools' Metrics, in Embedded Metric Format.

Metrics are on when a namespace is configured: the class option ``metrics_namespace``, else
``POWERTOOLS_METRICS_NAMESPACE``, else PyPwExt's ``METRICS_NAMESPACE``. Every metric of a service carries the dimension ``service``.
At the end of every invocation -- success or error -- pypwext adds

=============  ============  ==================================================
``ColdStart``  Count         1 on the first invocation of the process, else 0
``Invocations`` Count        1
``Latency``    Milliseconds  from the handler's entry to the response
``Errors4xx``  Count         1 when the answer is a 4xx, else 0
``Errors5xx``  Count         1 when the answer is a 5xx, else 0
=============  ============  ==================================================

and prints the invocation's metrics -- with the service's own, ``self.metrics.add_metric(...)``
-- as one EMF JSON line on stdout, which CloudWatch Logs turns into metrics. Without a
namespace ``self.metrics`` takes the same calls and forgets them at the end of the invocation.
``POWERTOOLS_METRICS_DISABLED=true`` stops the printing, as in Powertools.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

__all__ = ["ServiceMetrics"]


class ServiceMetrics:
    """The metrics of one service class (``self.metrics``): Powertools' ``Metrics`` API.

    >>> metrics = ServiceMetrics("orders", namespace="Shop")
    >>> metrics.add_metric(name="OrdersPlaced", unit="Count", value=1)
    >>> metrics.enabled
    True
    >>> metrics.clear()
    """

    def __init__(self, service: str, namespace: str | None = None) -> None:
        self.service = service
        self._namespace_option = namespace
        self._namespace: str | None = None
        self._resolved = False
        self._provider: AmazonCloudWatchEMFProvider | None = None

    @property
    def namespace(self) -> str | None:
        """The CloudWatch namespace: the class option, else ``POWERTOOLS_METRICS_NAMESPACE``, else
        PyPwExt's ``METRICS_NAMESPACE`` (an empty value counts as unset)."""
        if not self._resolved:
            self._namespace = (
                self._namespace_option
                or os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
                or os.environ.get("METRICS_NAMESPACE")
                or None
            )
            self._resolved = True
        return self._namespace

    @property
    def enabled(self) -> bool:
        """Whether metrics are printed at the end of each invocation (a namespace is set)."""
        return self.namespace is not None

    @property
    def provider(self) -> AmazonCloudWatchEMFProvider:
        """Powertools' EMF provider of this service, built on first use."""
        if self._provider is None:
            from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
                AmazonCloudWatchEMFProvider,
            )

            self._provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=self.service)
        return self._provider

    def add_metric(self, name: str, unit: Any, value: float, resolution: Any = 60) -> None:
        """Add a value to metric ``name`` (unit: a Powertools ``MetricUnit`` or its name, e.g.
        ``"Count"``); flushed at the end of the invocation."""
        self.provider.add_metric(name=name, unit=unit, value=value, resolution=resolution)

    def add_dimension(self, name: str, value: str) -> None:
        """Add a dimension to this invocation's metrics (beside ``service``)."""
        self.provider.add_dimension(name=name, value=value)

    def add_metadata(self, key: str, value: Any) -> None:
        """Add a searchable field to this invocation's EMF line (not a metric, not a dimension)."""
        self.provider.add_metadata(key=key, value=value)

    def record_invocation(self, cold_start: bool, status: int, latency_ms: float) -> None:
        """Add the automatic per-invocation metrics."""
        add = self.provider.add_metric
        add(name="ColdStart", unit="Count", value=1 if cold_start else 0)
        add(name="Invocations", unit="Count", value=1)
        add(name="Latency", unit="Milliseconds", value=latency_ms)
        add(name="Errors4xx", unit="Count", value=1 if 400 <= status < 500 else 0)
        add(name="Errors5xx", unit="Count", value=1 if status >= 500 else 0)

    def flush(self) -> None:
        """Print this invocation's metrics as one EMF line (when enabled) and start afresh."""
        provider = self._provider
        if provider is None:
            return
        try:
            if self.enabled and provider.metric_set:
                provider.flush_metrics()
        finally:
            provider.clear_metrics()

    def clear(self) -> None:
        """Forget the metrics added so far."""
        if self._provider is not None:
            self._provider.clear_metrics()

    def __repr__(self) -> str:
        return f"ServiceMetrics({self.service!r}, namespace={self.namespace!r})"
