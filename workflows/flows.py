"""AwardFlow: who works on a dossier next, stage by stage, along its award form's route.

The domain services decide (dossiers.services, approvals.services); after each one the open
task is completed and the process goes straight to the node of the dossier's new state, or to
an end (StageView picks it: no switch task in between, five queries saved per step). Every
human stage is a View node, so each stage's task records when it was created, who finished it
and when.
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.view import ViewActivation

from dossiers.models import DossierState as S
from workflows.models import DossierProcess


def open_dossier(request: HttpRequest, **kwargs) -> HttpResponseRedirect:
    """Every task is worked on the dossier page."""
    process = DossierProcess.objects.get(pk=kwargs["process_pk"])
    return HttpResponseRedirect(reverse("workflows:dossier", args=[process.dossier_id]))


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


END_STATES = {S.NOT_APPROVED: "not_approved", S.WITHDRAWN: "withdrawn"}
# Where each stage can lead, per the lifecycle (withdrawal is possible until the decision).
NEXT = {
    "prepare": ["bloc_vote", "intake", "withdrawn"],
    "bloc_vote": ["intake", "not_approved", "withdrawn"],
    "intake": ["prepare", "public_notice", "council_vote", "appraisal", "withdrawn"],
    "public_notice": ["council_vote", "appraisal", "withdrawn"],
    "council_vote": ["appraisal", "not_approved", "withdrawn"],
    "appraisal": ["decision", "not_approved", "withdrawn"],
    "decision": ["president_decision", "decided", "withdrawn"],
    "president_decision": ["decided"],
}


def node_for(flow_class, state: str):
    """The node that waits in `state` (or the end it leads to)."""
    for name, states in NODE_STATES.items():
        if state in states:
            return getattr(flow_class, name)
    return getattr(flow_class, END_STATES.get(state, "decided"))


class StageActivation(ViewActivation):
    @Activation.status.super()
    def create_next(self):
        """Straight to the node of the dossier's new state: no switch task in between."""
        node = node_for(self.flow_class, self.process.dossier.state)
        yield node._create(self, self.task.token)


class StageView(flow.View):
    """A human stage whose next node is chosen by the dossier's state (the route is data on
    the award form, applied by the services)."""

    activation_class = StageActivation

    def _outgoing(self):
        """The moves the lifecycle allows from this stage (drawn on the chart)."""
        for name in NEXT[self.name]:
            yield Edge(src=self, dst=getattr(self.flow_class, name), edge_class="next")


class AwardFlow(flow.Flow):
    """From the unit's draft to the signed decision (or not approved, or withdrawn)."""

    process_class = DossierProcess
    lock_impl = lock.select_for_update_lock
    process_title = "Hồ sơ đề nghị khen thưởng"

    start = flow.StartHandle(this.start_process).Next(this.prepare)

    prepare = StageView(open_dossier)
    bloc_vote = StageView(open_dossier)
    intake = StageView(open_dossier)
    public_notice = StageView(open_dossier)
    council_vote = StageView(open_dossier)
    appraisal = StageView(open_dossier)
    decision = StageView(open_dossier)
    president_decision = StageView(open_dossier)

    decided = flow.End()
    not_approved = flow.End()
    withdrawn = flow.End()

    def start_process(self, activation, dossier):
        activation.process.dossier = dossier
        return activation.process
