#!/usr/bin/env python3
"""Sign requests to a Tijori gateway with the Python standard library only: create an order, then read its status.

    export TIJORI_BASE_URL=http://127.0.0.1:8080 TIJORI_API_KEY=pk_test_... TIJORI_SECRET_KEY=sk_test_...
    python3 sign_request.py [order_id]

Python 3.8 or later. The signing rules are in the README ("Signing requests").
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request


def sign_v1(secret: str, body: bytes, timestamp: str) -> str:
    """KwikPaisa v3: hex HMAC-SHA256 of body + timestamp."""
    return hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def sign_v2(secret: str, method: str, path: str, body: bytes, timestamp: str) -> str:
    """v2, bound to the endpoint: hex HMAC-SHA256 of METHOD + path (with its query) + body + timestamp."""
    return hmac.new(secret.encode(), method.encode() + path.encode() + body + timestamp.encode(), hashlib.sha256).hexdigest()


def post(path: str, payload: dict, version: str = "2") -> "tuple[int, str]":
    """Sends payload signed with a fresh timestamp; returns the HTTP status and the reply body."""
    body = json.dumps(payload).encode()  # sign these bytes and send these bytes, never a re-serialisation
    timestamp = str(int(time.time()))  # UNIX seconds, not milliseconds
    secret = os.environ["TIJORI_SECRET_KEY"]
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "X-API-KEY": os.environ["TIJORI_API_KEY"], "X-TIMESTAMP": timestamp}
    if version == "2":
        headers["X-SIGNATURE"] = sign_v2(secret, "POST", path, body, timestamp)
        headers["X-SIGNATURE-VERSION"] = "2"
    else:
        headers["X-SIGNATURE"] = sign_v1(secret, body, timestamp)
    base = os.environ.get("TIJORI_BASE_URL", "http://127.0.0.1:8080")
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:  # 4xx and 5xx: the body has error_code and request_id
        return error.code, error.read().decode()


def check_vectors() -> None:
    """--check, for the test suite: tab-separated lines on stdin, one signature a line on stdout.
    v1 <secret> <timestamp> <body base64> | v2 <secret> <timestamp> <method> <path> <body base64>"""
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if f[0] == "v1":
            print(sign_v1(f[1], base64.b64decode(f[3]), f[2]))
        else:
            print(sign_v2(f[1], f[3], f[4], base64.b64decode(f[5]), f[2]))


def main() -> int:
    order_id = sys.argv[1] if len(sys.argv) > 1 else f"demo-{int(time.time())}"
    order = {"order_id": order_id, "order_amount": "105.00", "order_currency": "INR", "service_type": "DIGITAL",
             "customer": {"name": "Ajay", "email": "dev@example.com", "phone": "9816512345"}}
    replies = [("create", post("/api/v3/pg/order/create", order, version="1")),
               ("status", post("/api/v3/pg/order/status", {"order_id": order_id}))]
    for name, (status, text) in replies:
        print(f"{name}: {status} {text}")
    return 0 if all(200 <= status < 300 for _, (status, _) in replies) else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        check_vectors()
    else:
        sys.exit(main())
