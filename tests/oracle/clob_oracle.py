#!/usr/bin/env python3
"""Reference oracle for tests/clob_oracle.rs: Polymarket's own py-clob-client-v2.

Reads JSON-lines order requests on stdin; for each, builds and signs the order with
py_clob_client_v2's OrderBuilder (the code path of ClobClient.create_order /
create_market_order, minus its network look-ups), with the request's salt and timestamp
pinned, then serialises the POST /order body exactly as ClobClient.post_order does and makes
the L2 headers it would send, plus the L1 headers for the request's timestamp and nonce.
Prints one JSON line per request:

  {"id", "py_amounts": [maker, taker] | null, "py_error": str | null,
   "amounts_overridden": bool, "body": str, "l2_headers": {...}, "l1_headers": {...}}

py computes amounts with floats. When its amounts differ from the request's "amounts" (the
Rust side's exact ones), the order is built again with the request's amounts so that
signing, the body and the headers are still compared byte for byte; "py_amounts" keeps
py's own answer for the Rust side to judge.

Run with the venv made by tests/oracle/setup.sh.
"""

import json
import sys

import py_clob_client_v2.order_builder.builder as builder_module
from py_clob_client_v2.clob_types import (
    ApiCreds,
    CreateOrderOptions,
    MarketOrderArgsV2,
    OrderArgsV2,
    RequestArgs,
)
from py_clob_client_v2.endpoints import POST_ORDER
from py_clob_client_v2.headers.headers import (
    create_level_1_headers,
    create_level_2_headers,
)
from py_clob_client_v2.order_builder.builder import ROUNDING_CONFIG, OrderBuilder
from py_clob_client_v2.order_utils import SignatureTypeV2
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.order_utils.model.side import Side
from py_clob_client_v2.signer import Signer

_ORIGINAL_EXCHANGE_BUILDER = builder_module.ExchangeOrderBuilderV2


class _PinnedClock:
    """Stands in for the `time` module inside builder.py: a fixed build timestamp."""

    def __init__(self, timestamp_ms):
        self._ns = int(timestamp_ms) * 1_000_000

    def time_ns(self):
        return self._ns


def _pin(salt, timestamp_ms):
    builder_module.time = _PinnedClock(timestamp_ms)

    def exchange_builder(*args, **kwargs):
        return _ORIGINAL_EXCHANGE_BUILDER(*args, generate_salt=lambda: str(salt), **kwargs)

    builder_module.ExchangeOrderBuilderV2 = exchange_builder


def _build(req, order_builder):
    options = CreateOrderOptions(tick_size=req["tick_size"], neg_risk=req["neg_risk"])
    if req["kind"] == "limit":
        args = OrderArgsV2(
            token_id=req["token_id"],
            price=float(req["price"]),
            size=float(req["size"]),
            side=req["side"],
            expiration=int(req["expiration"]),
            builder_code=req["builder_code"],
            metadata=req["metadata"],
        )
        return order_builder.build_order(args, options, version=req["version"])
    args = MarketOrderArgsV2(
        token_id=req["token_id"],
        amount=float(req["amount"]),
        side=req["side"],
        price=float(req["price"]),
        order_type=req["order_type"],
        builder_code=req["builder_code"],
        metadata=req["metadata"],
    )
    return order_builder.build_market_order(args, options, version=req["version"])


def _py_amounts(req, order_builder):
    rc = ROUNDING_CONFIG[req["tick_size"]]
    if req["kind"] == "limit":
        _, maker, taker = order_builder.get_order_amounts(
            req["side"], float(req["size"]), float(req["price"]), rc
        )
    else:
        _, maker, taker = order_builder.get_market_order_amounts(
            req["side"], float(req["amount"]), float(req["price"]), rc
        )
    return [str(maker), str(taker)]


def handle(req):
    signer = Signer(req["private_key"], req["chain_id"])
    order_builder = OrderBuilder(
        signer,
        signature_type=SignatureTypeV2(req["signature_type"]),
        funder=req.get("funder"),
    )
    out = {"id": req["id"], "py_amounts": None, "py_error": None, "amounts_overridden": False}
    try:
        out["py_amounts"] = _py_amounts(req, order_builder)
    except Exception as exc:  # py refusing an input is an answer, not a crash
        out["py_error"] = f"{type(exc).__name__}: {exc}"

    wanted = req["amounts"]
    if out["py_amounts"] != wanted:
        side = Side.BUY if req["side"] == "BUY" else Side.SELL
        fixed = (side, int(wanted[0]), int(wanted[1]))
        order_builder.get_order_amounts = lambda *a, **k: fixed
        order_builder.get_market_order_amounts = lambda *a, **k: fixed
        out["amounts_overridden"] = True

    _pin(req["salt"], req["timestamp_ms"])
    order = _build(req, order_builder)

    # ClobClient.post_order, byte for byte.
    payload = order_to_json_v2(
        order, req["api_key"], req["order_type"], req["post_only"], req["defer_exec"]
    )
    serialized = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    creds = ApiCreds(
        api_key=req["api_key"],
        api_secret=req["api_secret"],
        api_passphrase=req["api_passphrase"],
    )
    request_args = RequestArgs(
        method="POST", request_path=POST_ORDER, body=payload, serialized_body=serialized
    )
    out["body"] = serialized
    out["l2_headers"] = create_level_2_headers(
        signer, creds, request_args, timestamp=req["l2_timestamp"]
    )
    out["l1_headers"] = create_level_1_headers(
        signer, nonce=req["l1_nonce"], timestamp=req["l1_timestamp"]
    )
    return out


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        sys.stdout.write(json.dumps(handle(json.loads(line))) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
