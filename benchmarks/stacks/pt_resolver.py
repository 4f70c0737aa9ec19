"""Powertools' APIGatewayRestResolver, no validation: the route checks the body by hand."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from stacks._manual import check_order

EVENTS = ("rest",)
app = APIGatewayRestResolver()


@app.post("/orders")
def create_order():
    order, problems = check_order(app.current_event.body)
    if problems:
        return Response(400, content_types.APPLICATION_JSON, {"problems": problems})
    total = sum(item["quantity"] for item in order["items"])
    if total > 1000:
        return Response(422, content_types.APPLICATION_JSON, {"total": total})
    return Response(201, content_types.APPLICATION_JSON, {"id": order["id"], "total_quantity": total})


def handler(event, context):
    return app.resolve(event, context)
