"""The annual cycle's door for `case_progress`: only its own cases' words get in.

Anyone who can reach Temporal can signal a cycle, and a signal names its sender only by
what it carries. So the cycle takes a `CaseProgress` only when it matches a case it
opened (`progress_verdict` in `models/cycle_rules.py`): the product's workflow id, the
case's round in this cycle, an event counter that does not go back. The rest is
ignored, logged at warning (the verdict and a short product code, nothing personal)
and counted in the report's `forged_progress_ignored`.

A case may speak before the cycle has recorded it: its first stage can arrive while
`open_cycle_case` is still answering. Such words are held (the last few per product)
and checked once the cycle knows what it opened, so genuine early progress is kept and
a forged one sent meanwhile is not.

`AnnualCycleWorkflow` keeps one `ProgressGate` and asks it only under the patch
`PATCH_VERIFIED_PROGRESS`: runs recorded before it keep taking every word, as they did.
"""

from __future__ import annotations

from collections.abc import Container, MutableMapping

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.case import product_workflow_id
    from models.cycle import CaseProgress
    from models.cycle_messages import CaseOpened
    from models.cycle_rules import (
        FIRST_ROUND,
        CaseOfCycle,
        ProgressVerdict,
        opened_case,
        progress_verdict,
    )
    from models.cycle_settings import CycleCarried

PATCH_VERIFIED_PROGRESS = "verified-case-progress"

HELD_PER_PRODUCT = 4
"""Words held for a product whose case is being opened (the latest ones)."""

Products = MutableMapping[str, CaseProgress]


class ProgressGate:
    """What the cycle checks its cases' words against, beside what it keeps of them."""

    def __init__(self, province: str, carried: CycleCarried, products: Products) -> None:
        self._province = province
        # A run from before the check did not track which rounds are confirmed: none is.
        self._unconfirmed: set[str] = (
            set(products) if carried.unconfirmed is None else set(carried.unconfirmed)
        )
        self._held: dict[str, list[CaseProgress]] = {}
        self.ignored = carried.forged_progress_ignored
        self.trusting = False  # set once this run took a word unchecked (before the patch)

    def carried(self) -> dict[str, object]:
        """What continue-as-new hands the next run (fields of `CycleCarried`)."""
        unconfirmed = None if self.trusting else tuple(sorted(self._unconfirmed))
        return {"unconfirmed": unconfirmed, "forged_progress_ignored": self.ignored}

    def checking(self) -> bool:
        """Whether this run checks its cases' words (the patch), noting when it does not."""
        if workflow.patched(PATCH_VERIFIED_PROGRESS):
            return True
        self.trusting = True
        return False

    # ----------------------------------------------------------------- words

    def take(self, progress: CaseProgress, products: Products, pending: Container[str]) -> None:
        """Keep the word if it is one of the cycle's cases'; hold it while its case opens."""
        code = progress.product_code.lower()
        verdict = progress_verdict(progress, self._case_of(code, products, pending))
        if verdict is not ProgressVerdict.ACCEPTED:
            self._ignore(verdict, progress)
        elif code in products:
            products[code] = progress
            self._unconfirmed.discard(code)
        else:  # its case is being opened: checked again once the cycle knows it
            held = self._held.setdefault(code, [])
            held.append(progress)
            del held[:-HELD_PER_PRODUCT]

    def opened(self, placeholder: CaseProgress, opened: CaseOpened, products: Products) -> None:
        """Record a case just opened: its latest held word that passes, else `placeholder`."""
        code = placeholder.product_code.lower()
        case = opened_case(opened.workflow_id, opened.action)
        best: CaseProgress | None = None
        for progress in self._held.pop(code, []):
            verdict = progress_verdict(progress, case)
            if verdict is ProgressVerdict.ACCEPTED:
                best = progress
            else:
                self._ignore(verdict, progress)
        if best is not None:
            products[code] = best
            self._unconfirmed.discard(code)
            return
        products[code] = placeholder.model_copy(update={"round_number": case.round_number})
        if not case.round_confirmed:
            self._unconfirmed.add(code)

    def not_opened(self, code: str) -> None:
        """The submission failed: what its case said meanwhile is dropped, uncounted."""
        self._held.pop(code, None)

    # --------------------------------------------------------------- helpers

    def _case_of(
        self, code: str, products: Products, pending: Container[str]
    ) -> CaseOfCycle | None:
        known = products.get(code)
        if known is not None:
            return CaseOfCycle(
                known.workflow_id,
                known.round_number,
                round_confirmed=code not in self._unconfirmed,
                event_seq=known.event_seq,
            )
        if code in pending:  # the id is the product's; the round is told by opening it
            return CaseOfCycle(
                product_workflow_id(self._province, code), FIRST_ROUND, round_confirmed=False
            )
        return None

    def _ignore(self, verdict: ProgressVerdict, progress: CaseProgress) -> None:
        self.ignored += 1
        workflow.logger.warning(
            "case_progress ignored (%s): product %r, round %s",
            verdict.value,
            progress.product_code[:40],
            progress.round_number,
        )
