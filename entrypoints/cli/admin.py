"""`cap users create-admin EMAIL`."""

from __future__ import annotations

import argparse
import getpass
import sys

from application.users.commands import RegisterUser
from application.users.results import Registered
from bootstrap.settings import Settings
from domain.shared.errors import DomainError, InvalidInput
from entrypoints.cli.context import cli_container


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password for the new admin: ")
    if first != getpass.getpass("Repeat the password: "):
        print("cap: the passwords differ", file=sys.stderr)
        return None
    return first


async def create_admin(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    async with cli_container(settings) as container:
        try:
            result: Registered = await container.command_bus().handle(
                RegisterUser(email=args.email, password=password, display_name=args.display_name, role="admin")
            )
        except InvalidInput as error:
            for field_error in error.errors:
                print(f"cap: {field_error.field} {field_error.message}", file=sys.stderr)
            return 1
        except DomainError as error:
            print(f"cap: {error.detail}", file=sys.stderr)
            return 1
        # The embedded CLI has no projection worker running; bring the views up to date before exiting.
        await container.projections().catch_up()
    print(f"admin {result.email} created with id {result.user_id}")
    return 0
