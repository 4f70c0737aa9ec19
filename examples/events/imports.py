"""S3: import a CSV price list dropped in a bucket, row by row, whatever its size."""

from __future__ import annotations

import attrs

from pypwext.kinds._s3 import S3ObjectService


@attrs.frozen
class Price:
    sku: str
    cents: int


PRICES: dict[str, int] = {}  # stands for a real table


class ImportPrices(S3ObjectService):
    record_format = "csv"

    def validate(self, price: Price) -> Price:
        if price.cents < 0:
            raise ValueError(f"negative price for {price.sku}")
        return price

    def process_record(self, price: Price) -> None:
        PRICES[price.sku] = price.cents


handler = ImportPrices.handler
