"""`zhenxing open311_client create NAME | list | revoke PREFIX`: Open311 API keys.

The key is printed once, by `create`; it is not stored and cannot be shown
again (make a new client and revoke the old one instead).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import Open311Error, client_create, client_revoke


class Command(BaseCommand):
    help = "Manage Open311 GeoReport v2 API clients: create (prints the key once), list, revoke."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="register a client and print its key once")
        create.add_argument("name", help="the client's name, e.g. the app that will post")
        create.add_argument("--contact", default="", help="who to call about this client")
        actions.add_parser("list", help="list clients (prefix, name, state, last use)")
        revoke = actions.add_parser("revoke", help="revoke the key starting with PREFIX")
        revoke.add_argument("prefix", help="the key's first characters, as `list` shows them")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "create":
                self._create(options["name"], options["contact"])
            elif action == "list":
                self._list()
            else:
                self._revoke(options["prefix"])
        except Open311Error as exc:
            raise CommandError(str(exc)) from None

    def _create(self, name: str, contact: str) -> None:
        client, raw = client_create(name=name, contact=contact, actor=None)
        self.stdout.write(f"Created Open311 client {client.name} ({client.prefix}…).")
        self.stdout.write(f"API key (shown once, not stored): {raw}")

    def _list(self) -> None:
        clients = Open311Client.objects.all()
        if not clients:
            self.stdout.write("No Open311 clients.")
            return
        for client in clients:
            revoked, used_at = client.revoked_at, client.last_used_at
            state = f"revoked {localtime(revoked):%Y-%m-%d}" if revoked else "active"
            used = f"{localtime(used_at):%Y-%m-%d %H:%M}" if used_at else "never"
            contact = f"  {client.contact}" if client.contact else ""
            self.stdout.write(
                f"{client.prefix:<{12}}  {state:<18}  last used {used:<16}  {client.name}{contact}"
            )

    def _revoke(self, prefix: str) -> None:
        matches = list(Open311Client.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if not matches:
            raise CommandError(f"No active client has a key starting with {prefix!r}.")
        if len(matches) > 1:
            names = ", ".join(c.name for c in matches)
            raise CommandError(f"{len(matches)} active clients share {prefix!r} ({names}).")
        client = client_revoke(client=matches[0], actor=None)
        self.stdout.write(f"Revoked the key of {client.name} ({client.prefix}…).")
