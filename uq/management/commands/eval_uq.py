from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from uq import actions, evaluation
from uq.models import Head


class Command(BaseCommand):
    help = (
        "Evaluate a confidence head and every baseline on the held-out test split: AUROC/AUPRC for wrong "
        "answers, ECE, Brier, NLL, AURC, coverage at the target risk, out-of-scope abstention, cost; plus "
        "reliability and risk-coverage SVGs. The report is also shown on the evaluation page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", help="version (default: the active head of the configured generator)")
        parser.add_argument("--out", default="bench/results/uq", help="folder for the SVGs, Markdown and JSON")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        heads = Head.objects.all()
        record = (
            heads.filter(version=options["head"]).first()
            if options["head"]
            else heads.filter(generator=actions.generator_name(), active=True).first()
        )
        if record is None:
            raise CommandError("no such head" if options["head"] else "no active head; run train_uq --activate")
        try:
            report = evaluation.evaluate(record, seed=options["seed"], log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        actions.do_save_evaluation(record, report)
        for path in evaluation.write(report, options["out"]):
            self.stdout.write(f"wrote {path}")
        self.stdout.write(f"head {record.version} ({record.kind}); test split {report['counts']['test']}")
        self.stdout.write(evaluation.markdown(report))
