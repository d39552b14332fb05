"""AwardFlow: who works on a dossier next, stage by stage, along its award form's route.

The domain services decide (dossiers.services, approvals.services); after each one the open
task is completed and the `route` switch sends the process to the node of the dossier's new
state, or to an end. Every human stage is a View node, so each stage's task records when it
was created, who finished it and when.
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from viewflow import this
from viewflow.workflow import flow, lock

from dossiers.models import DossierState as S
from workflows.models import DossierProcess


def open_dossier(request: HttpRequest, **kwargs) -> HttpResponseRedirect:
    """Every task is worked on the dossier page."""
    process = DossierProcess.objects.get(pk=kwargs["process_pk"])
    return HttpResponseRedirect(reverse("workflows:dossier", args=[process.dossier_id]))


def _state_is(*states: str):
    def condition(activation) -> bool:
        return activation.process.dossier.state in states

    return condition


# Which View node waits in each dossier state.
NODE_STATES = {
    "prepare": (S.DRAFT, S.RETURNED),
    "bloc_vote": (S.BLOC_VOTING,),
    "intake": (S.INTAKE,),
    "public_notice": (S.PUBLIC_NOTICE,),
    "council_vote": (S.COUNCIL_REVIEW,),
    "appraisal": (S.APPRAISAL, S.ON_HOLD),
    "decision": (S.AWAITING_DECISION,),
    "president_decision": (S.AWAITING_PRESIDENT,),
}


class AwardFlow(flow.Flow):
    """From the unit's draft to the signed decision (or not approved, or withdrawn)."""

    process_class = DossierProcess
    lock_impl = lock.select_for_update_lock
    process_title = "Hồ sơ đề nghị khen thưởng"

    start = flow.StartHandle(this.start_process).Next(this.route)

    route = (
        flow.Switch()
        .Case(this.prepare, _state_is(*NODE_STATES["prepare"]))
        .Case(this.bloc_vote, _state_is(*NODE_STATES["bloc_vote"]))
        .Case(this.intake, _state_is(*NODE_STATES["intake"]))
        .Case(this.public_notice, _state_is(*NODE_STATES["public_notice"]))
        .Case(this.council_vote, _state_is(*NODE_STATES["council_vote"]))
        .Case(this.appraisal, _state_is(*NODE_STATES["appraisal"]))
        .Case(this.decision, _state_is(*NODE_STATES["decision"]))
        .Case(this.president_decision, _state_is(*NODE_STATES["president_decision"]))
        .Case(this.not_approved, _state_is(S.NOT_APPROVED))
        .Case(this.withdrawn, _state_is(S.WITHDRAWN))
        .Default(this.decided)
    )

    prepare = flow.View(open_dossier).Next(this.route)
    bloc_vote = flow.View(open_dossier).Next(this.route)
    intake = flow.View(open_dossier).Next(this.route)
    public_notice = flow.View(open_dossier).Next(this.route)
    council_vote = flow.View(open_dossier).Next(this.route)
    appraisal = flow.View(open_dossier).Next(this.route)
    decision = flow.View(open_dossier).Next(this.route)
    president_decision = flow.View(open_dossier).Next(this.route)

    decided = flow.End()
    not_approved = flow.End()
    withdrawn = flow.End()

    def start_process(self, activation, dossier):
        activation.process.dossier = dossier
        return activation.process
