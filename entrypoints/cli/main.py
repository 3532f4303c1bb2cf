"""`cap`: the one command-line entry. Each sub-command builds the container from settings first."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bootstrap.observability import configure_logging
from bootstrap.settings import SettingsError, load_settings
from entrypoints.cli import admin, market, replay, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cap", description="Crypto Analytics Platform")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="serve the HTTP API (and, by default, every worker)")
    serve_cmd.add_argument("--host", help="listen address (default CAP_HOST)")
    serve_cmd.add_argument("--port", type=int, help="listen port (default CAP_PORT)")
    serve_cmd.set_defaults(run=serve.serve)

    worker_cmd = commands.add_parser("worker", help="run one worker in the foreground")
    worker_cmd.add_argument("name", choices=serve.WORKER_NAMES)
    worker_cmd.set_defaults(run=serve.worker)

    events = commands.add_parser("events", help="the event store's notification log").add_subparsers(
        dest="events_command", required=True
    )
    tail = events.add_parser("tail", help="print notifications as JSON lines")
    tail.add_argument("--from", dest="start", type=int, default=1, help="first notification id (default 1)")
    tail.add_argument("--follow", action="store_true", help="keep printing new notifications")
    tail.add_argument("--reveal", action="store_true", help="print personal fields instead of masking them")
    tail.set_defaults(run=replay.tail)

    aggregate = commands.add_parser("aggregate", help="event-sourced aggregates").add_subparsers(
        dest="aggregate_command", required=True
    )
    show = aggregate.add_parser("show", help="an aggregate's state at a version")
    show.add_argument("id", help="stream id (UUID)")
    show.add_argument("--version", type=int, help="stop at this version (default: latest)")
    show.add_argument("--reveal", action="store_true", help="print personal fields instead of masking them")
    show.set_defaults(run=replay.show_aggregate)

    projections = commands.add_parser("projections", help="read-side projections").add_subparsers(
        dest="projections_command", required=True
    )
    projections.add_parser("status", help="each projection's position and lag").set_defaults(run=replay.status)
    rebuild = projections.add_parser("rebuild", help="rebuild a view from zero")
    rebuild.add_argument("name")
    rebuild.set_defaults(run=replay.rebuild)

    market_cmd = commands.add_parser("market", help="market data").add_subparsers(dest="market_command", required=True)
    import_cmd = market_cmd.add_parser(
        "import", help="import historical candles (Binance 12-column kline CSV or time,open,high,low,close,volume)"
    )
    import_cmd.add_argument("file")
    import_cmd.add_argument("--symbol", required=True, help="instrument, e.g. BTC-USDT")
    import_cmd.add_argument("--interval", default="1m", help="interval of the file's candles (default 1m)")
    import_cmd.add_argument("--exchange", help="exchange the candles belong to (default: the first configured feed)")
    import_cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    import_cmd.set_defaults(run=market.import_file)

    users = commands.add_parser("users", help="user administration").add_subparsers(dest="users_command", required=True)
    create_admin = users.add_parser("create-admin", help="create an administrator account")
    create_admin.add_argument("email")
    create_admin.add_argument("--display-name", default="Administrator")
    create_admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of a prompt"
    )
    create_admin.set_defaults(run=admin.create_admin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"cap: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        result = args.run(settings, args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `cap events tail | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
