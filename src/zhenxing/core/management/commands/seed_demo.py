from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from zhenxing.demo.generator import MAX_COPIES


def _scale(value: str) -> int:
    # argparse turns this message into "argument --scale: ..." for the user.
    from zhenxing.demo.seed import SeedError, parse_scale

    try:
        return parse_scale(value)
    except SeedError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--scale ")) from None


class Command(BaseCommand):
    help = (
        "Seed N copies of the Guicheng demo for performance work: copy 1 is the demo (GC), "
        "copies 2..N get roots ZS002..ZS00N; every copy gets three years of cases and daily "
        "inspections before its own window (--no-history leaves them out)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scale",
            type=_scale,
            default=1,
            help=f"number of copies, 1..{MAX_COPIES} (N=10 gives 1,730 areas)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the copies an earlier seed made (not the demo) and seed afresh",
        )
        parser.add_argument(
            "--no-history",
            action="store_false",
            dest="history",
            help="only the copies' territory, people and recent cases: no three-year history",
        )
        parser.add_argument(
            "--seed",
            default="zhenxing-demo",
            help="seed of the history's random draws (same seed and day: same data)",
        )
        parser.add_argument(
            "--password",
            default="zhenxing-demo",
            help="password of the demo accounts, used only when the demo itself is missing",
        )

    def handle(
        self,
        *args,
        scale,
        reset: bool,
        password: str,
        history: bool = True,
        seed: str = "zhenxing-demo",
        **options,
    ) -> None:
        from zhenxing.demo.guicheng import DemoRefused
        from zhenxing.demo.seed import SeedError, seed_demo

        try:
            result = seed_demo(
                scale=scale,
                reset=reset,
                password=password,
                stream=self.stderr,
                history=history,
                seed=seed,
            )
        except (SeedError, DemoRefused) as exc:
            raise CommandError(str(exc)) from None
        if result.deleted:
            self.stdout.write(f"Deleted {result.deleted} rows of earlier scaled copies.")
        if result.base_loaded:
            self.stdout.write("Loaded the Guicheng demo (copy 1).")
        made = ", ".join(f"{label} {n}" for label, n in result.created.items() if label != "plans")
        copies = result.scale - 1
        roots = result.roots
        shown = ", ".join(roots) if len(roots) <= 4 else f"{roots[0]}, {roots[1]} … {roots[-1]}"
        steps = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in result.timings.items())
        self.stdout.write(f"Time by step: {steps}.")
        totals = ", ".join(f"{label} {n:,}" for label, n in result.totals.items())
        self.stdout.write(f"Rows now: {totals}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {copies} scaled cop{'y' if copies == 1 else 'ies'} in "
                f"{result.seconds:.1f} s ({made}); roots: {shown}"
            )
        )
