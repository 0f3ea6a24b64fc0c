"""The dataset form of the owner workspace: a department's resource in the authorized-operation catalog."""

from __future__ import annotations

from catalog.i18n import N_
from catalog.listings.forms import Form, FormField

__all__ = ["FORM", "SECTIONS"]

SECTIONS: list[tuple[str, list[FormField]]] = [
    (
        N_("What it is"),
        [
            FormField("provider", N_("Department"), "select", choices="providers"),
            FormField(
                "code",
                N_("Resource code"),
                maxlength=64,
                hint=N_("Capitals, digits and hyphens, e.g. HA-JTJ-012; it stays."),
            ),
            FormField("title", N_("Title"), maxlength=200),
            FormField("title_en", N_("English title"), maxlength=300),
            FormField("description", N_("Description"), "textarea", maxlength=20000),
            FormField(
                "description_en", N_("English description"), "textarea", required=False, maxlength=20000
            ),
            FormField("sectors", N_("Sectors"), "multi", choices="sectors"),
            FormField("keywords", N_("Keywords"), "lines", required=False, hint=N_("One per line.")),
        ],
    ),
    (
        N_("Sharing and security"),
        [
            FormField("security_grade", N_("Security grade"), "select", choices="security_grade"),
            FormField("sharing_condition", N_("Sharing condition"), "select", choices="sharing_condition"),
            FormField("update_frequency", N_("Update frequency"), "select", choices="update_frequency"),
        ],
    ),
    (
        N_("Content"),
        [
            FormField(
                "schema",
                N_("Field schema"),
                "fields",
                hint=N_("One field per line: name | type | description | unit"),
            ),
            FormField(
                "formats", N_("Formats"), "lines", required=False, hint=N_("One per line, e.g. CSV, API.")
            ),
            FormField("spatial_coverage", N_("Spatial coverage"), required=False, maxlength=200),
            FormField(
                "temporal_start",
                N_("Covers from (date)"),
                required=False,
                maxlength=10,
                hint=N_("e.g. 2020-01-01"),
            ),
            FormField("temporal_end", N_("Covers until (date)"), required=False, maxlength=10),
            FormField("record_count", N_("Records"), "number", required=False),
        ],
    ),
]
FORM = Form(SECTIONS)
