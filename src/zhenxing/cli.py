"""The `zhenxing` command line.

`zhenxing demo`, `zhenxing serve`, `zhenxing worker`, `zhenxing seed-demo` and
every Django management command (`zhenxing migrate`, `zhenxing createsuperuser`,
...). Dashes in a command name are accepted for underscores.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "zhenxing"
    from django.core.management import execute_from_command_line

    from zhenxing.env import SettingError

    try:
        execute_from_command_line(argv)
    except SettingError as exc:
        # A bad environment variable: say which one, without a traceback.
        print(f"zhenxing: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
