"""FastAPI with pydantic models, served to Lambda by Mangum."""

from typing import Annotated

from fastapi import FastAPI, HTTPException
from mangum import Mangum
from pydantic import BaseModel, Field

EVENTS = ("rest", "http")
app = FastAPI()


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


@app.post("/orders", status_code=201)
async def create_order(order: Order) -> OrderCreated:
    total = sum(item.quantity for item in order.items)
    if total > 1000:
        raise HTTPException(422, {"total": total})
    return OrderCreated(id=order.id, total_quantity=total)


handler = Mangum(app, lifespan="off")
