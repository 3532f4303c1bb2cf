"""`cap events tail`, `cap aggregate show`, `cap projections status|rebuild`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any

import msgspec
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.replay import aggregate_at, aggregate_state, notification_record
from bootstrap.settings import Settings
from domain.shared.errors import DomainError
from entrypoints.cli.context import cli_container

_json = msgspec.json.Encoder(enc_hook=str)


def _print(record: dict[str, Any]) -> None:
    sys.stdout.write(_json.encode(record).decode() + "\n")
    sys.stdout.flush()


async def tail(settings: Settings, args: argparse.Namespace) -> int:
    async with cli_container(settings) as container:
        store = container.event_store()
        position = max(args.start - 1, 0)
        while True:
            batch = await store.read(after=position, limit=500)
            for recorded in batch:
                _print(notification_record(recorded, reveal=args.reveal))
            if batch:
                position = batch[-1].notification_id
            elif not args.follow:
                return 0
            else:
                await asyncio.sleep(0.5)


async def show_aggregate(settings: Settings, args: argparse.Namespace) -> int:
    try:
        stream_id = uuid.UUID(args.id)
    except ValueError:
        print(f"cap: {args.id!r} is not a UUID", file=sys.stderr)
        return 2
    async with cli_container(settings) as container:
        try:
            aggregate = await aggregate_at(container.event_store(), stream_id, args.version)
        except DomainError as error:
            print(f"cap: {error.detail}", file=sys.stderr)
            return 1
        _print(aggregate_state(aggregate, reveal=args.reveal))
    return 0


async def status(settings: Settings, args: argparse.Namespace) -> int:
    async with cli_container(settings) as container:
        store = container.event_store()
        relay = container.relay()
        head = await store.last_notification_id()
        rows = [(s.name, s.position, s.lag) for s in await container.projections().status()]
        relay_position = await relay.position()
        rows.append((relay.name, relay_position, max(head - relay_position, 0)))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'NAME':<{width}}  {'POSITION':>10}  {'LAG':>8}   (head {head})")
    for name, position, lag in rows:
        print(f"{name:<{width}}  {position:>10}  {lag:>8}")
    return 0


async def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    async with cli_container(settings) as container:
        projections = container.projections()
        if args.name not in projections.names:
            print(f"cap: no projection {args.name!r}; known: {', '.join(projections.names)}", file=sys.stderr)
            return 2
        head = await container.event_store().last_notification_id()
        columns = (
            TextColumn("rebuilding {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task(args.name, total=head or 1)
            position = await projections.rebuild(args.name, lambda done: progress.update(task, completed=done))
            progress.update(task, completed=head or 1)
    print(f"{args.name}: rebuilt up to notification {position}")
    return 0
