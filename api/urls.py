from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import consultations, documents, registry, reports, views

v1 = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("award-forms/", views.AwardFormList.as_view(), name="api-award-forms"),
    path("organizations/", views.OrganizationList.as_view(), name="api-organizations"),
    path("blocs/", views.BlocList.as_view(), name="api-blocs"),
    path("dossiers/", views.DossierListCreate.as_view(), name="api-dossiers"),
    path("dossiers/export.xlsx", reports.DossierListExport.as_view(), name="api-dossiers-export"),
    path(
        "dossiers/exports/<int:pk>/",
        reports.DossierListExportJob.as_view(),
        name="api-dossiers-export-job",
    ),
    path("dossiers/<int:pk>/", views.DossierDetail.as_view(), name="api-dossier"),
    path(
        "dossiers/<int:pk>/attachments/", views.AttachmentCreate.as_view(), name="api-attachments"
    ),
    path(
        "dossiers/<int:pk>/actions/<slug:action>/",
        views.DossierAction.as_view(),
        name="api-dossier-action",
    ),
    path(
        "dossiers/<int:pk>/nominees/<int:nominee>/checks/<slug:rule>/<slug:action>/",
        views.CheckOverrideAction.as_view(),
        name="api-check-override",
    ),
    path(
        "dossiers/<int:pk>/nominees/<int:nominee>/<slug:action>/",
        views.NomineeAction.as_view(),
        name="api-nominee-action",
    ),
    path(
        "dossiers/<int:pk>/nominees/import/",
        registry.NomineeListImport.as_view(),
        name="api-nominee-import",
    ),
    path("registry/people/", registry.RegistryPeople.as_view(), name="api-registry-people"),
    path(
        "registry/people/<int:pk>/", registry.RegistryPerson.as_view(), name="api-registry-person"
    ),
    path("registry/import/", registry.RegistryImport.as_view(), name="api-registry-import"),
    path(
        "registry/imports/<int:pk>/",
        registry.RegistryImportJob.as_view(),
        name="api-registry-import-job",
    ),
    path("dossiers/<int:pk>/history/", views.DossierHistory.as_view(), name="api-dossier-history"),
    path(
        "dossiers/<int:pk>/consultations/",
        consultations.DossierConsultations.as_view(),
        name="api-dossier-consultations",
    ),
    path("consultations/", consultations.ConsultationInbox.as_view(), name="api-consultations"),
    path(
        "consultations/<int:pk>/answer/",
        consultations.ConsultationAnswer.as_view(),
        name="api-consultation-answer",
    ),
    path(
        "consultations/<int:pk>/document/",
        consultations.ConsultationDocument.as_view(),
        name="api-consultation-document",
    ),
    path("decisions/", views.DecisionCreate.as_view(), name="api-decisions"),
    path("decisions/<int:pk>/", views.DecisionDetail.as_view(), name="api-decision"),
    path(
        "decisions/<int:pk>/annex.xlsx", reports.DecisionAnnex.as_view(), name="api-decision-annex"
    ),
    path("reports/awards.xlsx", reports.AwardsReport.as_view(), name="api-report-awards"),
    path("reports/summary/", reports.ReportSummary.as_view(), name="api-report-summary"),
    path("decisions/<int:pk>/sign/", views.DecisionSign.as_view(), name="api-decision-sign"),
    path("audit/verify/", views.AuditVerify.as_view(), name="api-audit-verify"),
    path("audit/events/", views.AuditEvents.as_view(), name="api-audit-events"),
    path("ballots/", views.BallotListCreate.as_view(), name="api-ballots"),
    path("ballots/<int:pk>/", views.BallotDetail.as_view(), name="api-ballot"),
    path("ballots/<int:pk>/votes/", views.BallotVote.as_view(), name="api-ballot-votes"),
    path("ballots/<int:pk>/close/", views.BallotClose.as_view(), name="api-ballot-close"),
    path(
        "ballots/<int:pk>/attendance/",
        views.BallotAttendance.as_view(),
        name="api-ballot-attendance",
    ),
    path("ballots/<int:pk>/minutes/", views.BallotMinutes.as_view(), name="api-ballot-minutes"),
    path(
        "decisions/<int:pk>/propose/", views.DecisionPropose.as_view(), name="api-decision-propose"
    ),
    # the decision's documents (documents/): the signed PDF, certificates, verification, public
    path(
        "decisions/<int:pk>/document/",
        documents.DecisionDocument.as_view(),
        name="api-decision-document",
    ),
    path(
        "decisions/<int:pk>/certificates/",
        documents.DecisionCertificates.as_view(),
        name="api-decision-certificates",
    ),
    path(
        "decisions/<int:pk>/not-awarded/",
        documents.DecisionNotAwarded.as_view(),
        name="api-decision-not-awarded",
    ),
    path(
        "dossiers/<int:pk>/submission.pdf",
        documents.DossierSubmissionLetter.as_view(),
        name="api-dossier-submission",
    ),
    path("documents/verify/", documents.DocumentVerify.as_view(), name="api-document-verify"),
    path("public/decisions/", documents.PublicDecisionList.as_view(), name="api-public-decisions"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's own script is served as a file (the split view), so script-src stays 'self';
    # its widgets set inline styles, allowed for this page only.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]
