"""`python -m payments.fake --port 8090`: the fake providers on their own, for the demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from payments.fake.server import FakeProviderServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m payments.fake",
        description="A local fake of the Stripe and PayPal APIs the platform uses.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL browsers reach the fake at (default http://HOST:PORT)",
    )
    parser.add_argument(
        "--debits-settle-after",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="SEPA debits settle by themselves this long after they start processing "
        "(default 5; a negative number: only through POST /_fake/stripe/payment_intents/"
        "{id}/settle)",
    )
    parser.add_argument(
        "--strict-accounts",
        action="store_true",
        help="only accept accounts created through /_fake/… (default: any sk_test_ key "
        "and any PayPal client credentials open an account on first use)",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    server = FakeProviderServer(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        open_accounts=not args.strict_accounts,
        debits_settle_after_s=args.debits_settle_after if args.debits_settle_after >= 0 else None,
    )
    await server.start()
    print(
        f"Fake Stripe + PayPal on {server.url} (controls: {server.url}/_fake)",
        file=sys.stderr,
        flush=True,
    )
    await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
