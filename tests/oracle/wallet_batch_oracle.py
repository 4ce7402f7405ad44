"""Oracle for deposit-wallet WALLET batches: signs the EIP-712 `Batch` typed data the way
Polymarket's relayer clients do (builder-relayer-client src/builder/deposit-wallet.ts,
py-builder-relayer-client), with eth_account's own EIP-712 encoder (independent of ours).

stdin: JSON lines {"key","chain_id","wallet","nonce","deadline","calls":[{"target","value","data"}]}
stdout: JSON lines {"signature": "0x…"}"""

import json
import sys

from eth_account import Account
from eth_account.messages import encode_typed_data

TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Call": [
        {"name": "target", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
    ],
    "Batch": [
        {"name": "wallet", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "calls", "type": "Call[]"},
    ],
}

for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    full = {
        "types": TYPES,
        "primaryType": "Batch",
        "domain": {
            "name": "DepositWallet",
            "version": "1",
            "chainId": r["chain_id"],
            "verifyingContract": r["wallet"],
        },
        "message": {
            "wallet": r["wallet"],
            "nonce": int(r["nonce"]),
            "deadline": int(r["deadline"]),
            "calls": [
                {"target": c["target"], "value": int(c["value"]), "data": bytes.fromhex(c["data"][2:])}
                for c in r["calls"]
            ],
        },
    }
    sig = Account.sign_message(encode_typed_data(full_message=full), r["key"]).signature
    print(json.dumps({"signature": "0x" + bytes(sig).hex()}), flush=True)
