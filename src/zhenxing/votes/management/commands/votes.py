"""`zhenxing votes verify SESSION` / `zhenxing votes verify --file chain.json`.

Re-verifies a session's ballot chain (votes.chain.verify): from the database
(SESSION is the session's number or its public token), or from a published
chain.json with no database at all. Prints every problem with its ballot's
sequence number and exits with status 1, or prints "OK: N ballots, head …".
`--head` compares the chain's end with a head hash read elsewhere (the
public result page or the posted notice).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhenxing.votes import chain

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")
# A published chain of a large meeting (3,000 electors × a few motions) is a few MB.
MAX_FILE_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Re-verify a voting session's ballot chain (hashes, sequence, head, tallies)."
    # A verifier with only a downloaded chain.json needs no working server configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser(
            "verify",
            help="Recompute every ballot hash and compare with the published result.",
        )
        verify.add_argument("session", nargs="?", help="The session's number or public token.")
        verify.add_argument("--file", help="A chain.json downloaded from the public result page.")
        verify.add_argument("--head", help="The head hash the chain must end with.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self.verify(options)

    def verify(self, options: dict[str, Any]) -> None:
        head = options.get("head")
        if head is not None and not chain.HASH_RE.fullmatch(head):
            raise CommandError(_("--head must be 64 lowercase hexadecimal digits."))
        if options.get("file"):
            data = self._read(Path(options["file"]))
            wanted = options.get("session")
            if wanted and wanted != data.get("session"):
                raise CommandError(
                    _("The file is the chain of session %(token)s, not %(wanted)s.")
                    % {"token": data.get("session"), "wanted": wanted}
                )
            report = chain.verify(data, head=head)
        elif options.get("session"):
            report = chain.verify(self._session(options["session"]), head=head)
        else:
            raise CommandError(_("Name a session, or give --file chain.json."))
        for problem in report.problems:
            self.stderr.write(str(problem))
        if not report.ok:
            seqs = ", ".join(str(seq) for seq in report.bad_seqs) or "—"
            raise CommandError(
                _("FAILED: %(count)d problems; ballots concerned: %(seqs)s")
                % {"count": len(report.problems), "seqs": seqs},
                returncode=1,
            )
        self.stdout.write(
            _("OK: %(count)d ballots, head %(head)s")
            % {"count": report.ballot_count, "head": report.head}
        )

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(_("The file is too large to be a ballot chain."))
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(str(error)) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(
                _("The file is not JSON: %(error)s") % {"error": error}, returncode=1
            ) from None
        if not isinstance(data, dict):
            raise CommandError(_("The file is not an exported ballot chain."), returncode=1)
        return data

    def _session(self, name: str) -> Any:
        from zhenxing.votes.models import VotingSession

        if name.isdigit() and len(name) < 10:
            found = VotingSession.objects.filter(pk=int(name)).first()
        elif TOKEN_RE.fullmatch(name):
            found = VotingSession.objects.filter(public_token=name).first()
        else:
            found = None
        if found is None and TOKEN_RE.fullmatch(name):
            # A token made only of digits.
            found = VotingSession.objects.filter(public_token=name).first()
        if found is None:
            raise CommandError(_("No voting session %(name)s.") % {"name": name[:40]})
        return found
