#!/usr/bin/env python3
"""Verify an exported audit ledger offline, with Python's standard library only.

    python3 audit/offline.py ledger.jsonl --key <AUDIT_SIGNING_KEY>

The export (`manage.py export_audit`) is JSON Lines: one event per line
{"seq", "prev_hash", "hash", "body"}, then a signed head {"head": {...}, "signature": "..."},
where signature = HMAC-SHA256(key, canonical JSON of the head).
Exit 0: intact. Exit 1: tampered (the first bad sequence number is printed). Exit 2: cannot verify.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys

GENESIS = "0" * 64


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign_head(head: dict, key: str) -> str:
    return hmac.new(key.encode(), canonical(head).encode(), hashlib.sha256).hexdigest()


class CannotVerify(Exception):
    pass


def verify_lines(lines, key: str) -> tuple[bool, int | None, str, int]:
    """(ok, first bad seq, what is wrong, events checked)."""
    expected, prev, head_line = 1, GENESIS, None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise CannotVerify(f"line {number} is not JSON") from exc
        if "head" in record:
            head_line = record
            break
        seq = record.get("seq")
        if seq != expected:
            what = (
                f"event {expected} is missing"
                if isinstance(seq, int) and seq > expected
                else (f"event {expected} is out of order (found {seq})")
            )
            return False, expected, what, expected - 1
        if record.get("prev_hash") != prev:
            return False, seq, "previous-hash link is broken", seq - 1
        body = record.get("body", "")
        if hashlib.sha256((prev + body).encode()).hexdigest() != record.get("hash"):
            return False, seq, "hash does not match the body", seq - 1
        try:
            if json.loads(body).get("seq") != seq:
                return False, seq, "the body's seq differs from the line's", seq - 1
        except ValueError:
            return False, seq, "the body is not JSON", seq - 1
        prev = record["hash"]
        expected += 1
    events = expected - 1
    if head_line is None:
        return False, expected, "the signed head is missing (the export was cut)", events
    head = head_line.get("head") or {}
    if not hmac.compare_digest(sign_head(head, key), str(head_line.get("signature", ""))):
        return False, head.get("seq", events), "the head's signature is not valid", events
    if head.get("seq") != events or head.get("hash") != prev or head.get("events") != events:
        first = min(events, head.get("seq", events) or 0) + 1
        return (
            False,
            first,
            f"the head names seq {head.get('seq')}, the file ends at {events}",
            events,
        )
    return True, None, "", events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the JSON Lines file from export_audit")
    parser.add_argument("--key", default=os.environ.get("AUDIT_SIGNING_KEY"), help="signing key")
    args = parser.parse_args(argv)
    if not args.key:
        print("cannot verify: give the signing key (--key or AUDIT_SIGNING_KEY)")
        return 2
    try:
        with open(args.export, encoding="utf-8") as handle:
            ok, seq, what, events = verify_lines(handle, args.key)
    except (OSError, CannotVerify) as exc:
        print(f"cannot verify: {exc}")
        return 2
    if ok:
        print(f"intact: {events} events")
        return 0
    print(f"tampered: first bad seq {seq}: {what}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
