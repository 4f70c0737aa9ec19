"""Powertools' APIGatewayRestResolver with its pydantic validation (enable_validation=True)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import BaseModel, Field

EVENTS = ("rest",)
app = APIGatewayRestResolver(enable_validation=True)


class OrderItem(BaseModel):
    id: int
    quantity: Annotated[int, Field(gt=0)]
    description: str


class Order(BaseModel):
    id: int
    description: str
    items: Annotated[list[OrderItem], Field(min_length=1)]


class OrderCreated(BaseModel):
    id: int
    total_quantity: int


@app.post("/orders")
def create_order(order: Order) -> Response[OrderCreated]:
    total = sum(item.quantity for item in order.items)
    if total > 1000:
        return Response(422, content_types.APPLICATION_JSON, {"total": total})
    return Response(201, content_types.APPLICATION_JSON, OrderCreated(id=order.id, total_quantity=total))


def handler(event, context):
    return app.resolve(event, context)
