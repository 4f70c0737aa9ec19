"""The moto fixture itself: a real server process that boto3 reaches through AWS_ENDPOINT_URL."""

from __future__ import annotations

import boto3


def test_boto3_reaches_the_moto_server_and_each_test_starts_empty(aws_env) -> None:  # type: ignore[no-untyped-def]
    ssm = boto3.client("ssm")
    assert ssm.meta.endpoint_url == aws_env.endpoint
    ssm.put_parameter(Name="/probe", Value="1", Type="String")
    assert ssm.get_parameter(Name="/probe")["Parameter"]["Value"] == "1"
    aws_env.reset()
    assert ssm.describe_parameters()["Parameters"] == []
