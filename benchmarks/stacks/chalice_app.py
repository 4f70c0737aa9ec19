"""Chalice, no validation: the route checks the body by hand (Chalice serves REST events only)."""

from chalice import Chalice, Response

from stacks._manual import check_order

EVENTS = ("rest",)
app = Chalice(app_name="orders")


@app.route("/orders", methods=["POST"])
def create_order():
    order, problems = check_order(app.current_request.raw_body.decode("utf-8"))
    if problems:
        return Response({"problems": problems}, status_code=400)
    total = sum(item["quantity"] for item in order["items"])
    if total > 1000:
        return Response({"total": total}, status_code=422)
    return Response({"id": order["id"], "total_quantity": total}, status_code=201)


handler = app
