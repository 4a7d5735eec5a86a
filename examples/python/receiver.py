#!/usr/bin/env python3
"""Receive and verify Tijori webhooks with the Python standard library only.

    TIJORI_WEBHOOK_SECRET='whsec_...' python3 receiver.py     # listens on http://localhost:8000 (PORT to change)
    python3 receiver.py --verify < deliveries.jsonl             # checks saved deliveries, one JSON object a line:
                                                                # {"body_base64": ..., "headers": {...}, "secret": "whsec_...", "now"?: unix seconds}

The guide is docs/webhooks.md. Python 3.8 or later.
"""
import base64
import hashlib
import hmac
import json
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

# [verify]
TOLERANCE_SECONDS = 300  # 5 minutes each way, as the Standard Webhooks libraries


class WebhookVerificationError(Exception):
    pass


def verify(raw_body: bytes, headers: dict, secret: str, now: "float | None" = None) -> dict:
    """Returns the event if the delivery is genuine; raises WebhookVerificationError if not.

    raw_body: the request body bytes exactly as received (never json.dumps of the parsed body).
    headers:  the request headers, in any letter case.
    secret:   the endpoint's signing secret, "whsec_...", whole.
    now:      UNIX seconds; the system clock unless given (tests pass a fixed time).
    """
    h = {name.lower(): value for name, value in headers.items()}
    if not secret.startswith("whsec_"):
        raise ValueError("secret must be the endpoint's signing secret, 'whsec_...', whole")

    if h.get("webhook-id") and h.get("webhook-timestamp") and h.get("webhook-signature"):
        # Standard Webhooks: key = base64-decoded secret after "whsec_", message = id.timestamp.body
        timestamp = h["webhook-timestamp"]
        key = base64.b64decode(secret[len("whsec_"):])
        message = f"{h['webhook-id']}.{timestamp}.".encode() + raw_body
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        # "v1,<base64>" entries separated by spaces: two while the secret is being rolled
        candidates = [s[3:] for s in h["webhook-signature"].split() if s.startswith("v1,")]
    elif h.get("x-timestamp") and (h.get("x-webhook-signature") or h.get("x-signature")):
        # KwikPaisa: key = the whole secret string, message = body + timestamp
        timestamp = h["x-timestamp"]
        expected = hmac.new(secret.encode(), raw_body + timestamp.encode(), hashlib.sha256).hexdigest()
        candidates = (h.get("x-webhook-signature") or h["x-signature"]).lower().split()
    else:
        raise WebhookVerificationError("missing signature headers: pass the request headers unchanged")

    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        hint = " (13 digits: milliseconds?)" if len(timestamp) == 13 else ""
        raise WebhookVerificationError("the timestamp must be UNIX time in seconds" + hint)
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookVerificationError(
            "timestamp outside the 5-minute tolerance: check this server's clock (NTP); an old delivery is a replay")
    if not any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates):
        raise WebhookVerificationError(
            "no signature matches: verify the raw request body bytes (not re-serialised JSON) "
            "with this endpoint's secret, in the right mode (sandbox or live)")
    return json.loads(raw_body)
# [/verify]


def check_saved_deliveries() -> int:
    """--verify: one verdict a line on stdout; exit status 1 if any delivery was refused."""
    refused = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        delivery = json.loads(line)
        try:
            event = verify(base64.b64decode(delivery["body_base64"]), delivery["headers"], delivery["secret"], delivery.get("now"))
            print(json.dumps({"ok": True, "event_id": event.get("event_id")}), flush=True)
        except WebhookVerificationError as error:
            refused += 1
            print(json.dumps({"ok": False, "error": str(error)}), flush=True)
    return 1 if refused else 0


events = queue.Queue()
seen = set()  # In production: a table with a unique index on event_id, shared by every process.


def work() -> None:
    while True:
        event = events.get()
        # Before fulfilling, ask the order status API for the order's state: it is the source of truth.
        print(f"{event['event']} {event['data']['gateway_order_id']} {event['data']['status']}", flush=True)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            event = verify(raw_body, dict(self.headers.items()), os.environ["TIJORI_WEBHOOK_SECRET"])
        except WebhookVerificationError as error:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(error).encode())
            return
        # Deliveries are at least once: the same event_id (= webhook-id) can arrive again.
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            events.put(event)  # the work happens on another thread
        self.send_response(204)  # answer at once: the gateway waits 10 s at most
        self.end_headers()


if __name__ == "__main__":
    if sys.argv[1:] == ["--verify"]:
        sys.exit(check_saved_deliveries())
    if not os.environ.get("TIJORI_WEBHOOK_SECRET", "").startswith("whsec_"):
        sys.exit("Set TIJORI_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...).")
    threading.Thread(target=work, daemon=True).start()
    server = HTTPServer(("localhost", int(os.environ.get("PORT", "8000"))), Receiver)
    print(f"Listening on http://localhost:{server.server_address[1]}/", flush=True)
    server.serve_forever()
