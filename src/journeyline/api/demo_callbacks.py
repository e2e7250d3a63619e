"""The demo's call-back flow receiver: ``POST /demo/callbacks`` and ``GET /demo/callbacks``.

The demo's action map *Call back abandoned Sales callers* (``demo/rules.py``) fires the flow
*Demo call-back*, registered to post to this server itself, so that a newcomer can watch a flow
fire without running a receiver of their own. This route receives it as any receiver should:
it verifies the Standard Webhooks signature with the flow's secret (the ``standardwebhooks``
package, docs/flows.md), refuses what does not verify (401), and answers 204. ``GET`` lists
the last requests received (newest first, at most :data:`KEPT`), each with its ``webhook-id``
and the JSON body: the call-back an agent would make. A retry (the same ``webhook-id``) is
kept once.

Only the demo's own flow is accepted, and what is received is kept in memory only.
"""

from __future__ import annotations

import collections
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journeyline.api.errors import error_body, json_response
from journeyline.api.services import read_body, services
from journeyline.demo.rules import CALLBACK_FLOW_ID

KEPT = 100
MAX_BODY = 64 * 1024


def _received(request: Request) -> collections.deque[dict[str, Any]]:
    state = request.app.state
    if not hasattr(state, "demo_callbacks"):
        state.demo_callbacks = collections.deque(maxlen=KEPT)
    found: collections.deque[dict[str, Any]] = state.demo_callbacks
    return found


async def callbacks(request: Request) -> Response:
    received = _received(request)
    if request.method == "GET":
        return json_response({"entities": list(reversed(received))})
    svc = services(request)
    body = await read_body(request, MAX_BODY)
    secret = await svc.read(lambda store: store.flow_secret(CALLBACK_FLOW_ID))
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    headers = {name: request.headers.get(name, "") for name in names}
    try:
        if secret is None:
            raise WebhookVerificationError("the demo flow is not registered")
        payload = Webhook(secret).verify(body, headers)
    except WebhookVerificationError as exc:
        message = f"the signature does not verify: {exc}"
        return json_response(error_body(401, "bad.signature", message), 401)
    if all(r["webhookId"] != headers["webhook-id"] for r in received):  # a retry: once
        received.append({"webhookId": headers["webhook-id"], "body": payload})
    return Response(status_code=204)


DEMO_CALLBACK_ROUTES = [Route("/demo/callbacks", callbacks, methods=["GET", "POST"])]
