"""The product form of the owner workspace: every field of the listing manual (可交易数据产品说明书)."""

from __future__ import annotations

from catalog.i18n import N_
from catalog.listings.forms import Form, FormField

__all__ = ["FORM", "SECTIONS"]


SECTIONS: list[tuple[str, list[FormField]]] = [
    (
        N_("What it is"),
        [
            FormField("provider", N_("Organization"), "select", choices="providers"),
            FormField(
                "slug",
                N_("Address"),
                maxlength=120,
                hint=N_("Lower-case letters, digits and hyphens, as in /products/<address>; it stays."),
            ),
            FormField("title", N_("Title"), maxlength=200),
            FormField("title_en", N_("English title"), maxlength=300),
            FormField(
                "summary",
                N_("Summary"),
                "textarea",
                maxlength=500,
                hint=N_("One or two sentences shown in lists."),
            ),
            FormField("summary_en", N_("English summary"), "textarea", required=False, maxlength=800),
            FormField(
                "description",
                N_("Description"),
                "textarea",
                maxlength=20000,
                hint=N_("What the data is, where it comes from, how it is processed and how to use it."),
            ),
            FormField(
                "description_en", N_("English description"), "textarea", required=False, maxlength=20000
            ),
            FormField("sectors", N_("Sectors"), "multi", choices="sectors"),
            FormField("tags", N_("Tags"), "lines", required=False, hint=N_("One per line.")),
            FormField(
                "scenarios", N_("Application scenarios"), "lines", required=False, hint=N_("One per line.")
            ),
        ],
    ),
    (
        N_("Source and security"),
        [
            FormField(
                "source_datasets",
                N_("Source datasets"),
                "multi",
                choices="datasets",
                hint=N_("From the authorized-operation catalog."),
            ),
            FormField("source_type", N_("Source type"), "select", choices="source_type"),
            FormField(
                "security_grade",
                N_("Security grade"),
                "select",
                choices="security_grade",
                hint=N_("Core data cannot be listed."),
            ),
            FormField("personal_info", N_("Contains personal information"), "checkbox", required=False),
            FormField(
                "deidentification",
                N_("De-identification statement"),
                "textarea",
                required=False,
                maxlength=5000,
                hint=N_("Required when the product contains personal information."),
            ),
        ],
    ),
    (
        N_("Product and delivery"),
        [
            FormField("product_type", N_("Product type"), "select", choices="product_type"),
            FormField("delivery_mode", N_("Delivery mode"), "select", choices="delivery_mode"),
            FormField("update_frequency", N_("Update frequency"), "select", choices="update_frequency"),
            FormField(
                "schema",
                N_("Field schema"),
                "fields",
                required=False,
                hint=N_("One field per line: name | type | description | unit"),
            ),
            FormField(
                "input_fields",
                N_("API input fields"),
                "fields",
                required=False,
                hint=N_("For API products, one per line: name | type | description | unit"),
            ),
            FormField(
                "output_fields",
                N_("API output fields"),
                "fields",
                required=False,
                hint=N_("For API products, one per line: name | type | description | unit"),
            ),
        ],
    ),
    (
        N_("Terms and price"),
        [
            FormField("license", N_("Licence"), "select", choices="licences"),
            FormField("extra_terms", N_("Extra terms"), "textarea", required=False, maxlength=5000),
            FormField("permitted_purpose", N_("Permitted purpose"), "textarea", maxlength=2000),
            FormField("usage_term_months", N_("Usage term (months)"), "number"),
            FormField(
                "other_restrictions", N_("Other restrictions"), "textarea", required=False, maxlength=2000
            ),
            FormField(
                "use_category",
                N_("Use"),
                "select",
                choices="use_category",
                hint=N_(
                    "Public-governance and public-welfare use is free; industry use is priced within a cap."
                ),
            ),
            FormField("price_model", N_("Price model"), "select", choices="price_model"),
            FormField(
                "price",
                N_("Price (yuan)"),
                "text",
                required=False,
                maxlength=20,
                hint=N_("Required for per-call, subscription and per-delivery prices."),
            ),
            FormField(
                "price_unit",
                N_("Price unit"),
                "text",
                required=False,
                maxlength=20,
                hint=N_(
                    "元/次 or 元/千次 per call; 元/年 or 元/月 a subscription; 元/份 per delivery;"
                    " 元/万条 per data volume"
                ),
            ),
            FormField(
                "price_trial",
                N_("Trial fee (试行), until a full year of operation"),
                "checkbox",
                required=False,
            ),
        ],
    ),
    (
        N_("Registration materials"),
        [
            FormField(
                "lawful_source",
                N_("Lawful source statement"),
                "textarea",
                required=False,
                maxlength=5000,
                hint=N_("Where the data comes from, under which authorization, and how it is processed."),
            ),
            FormField(
                "risk_assessor", N_("Data-security risk assessment: assessor"), required=False, maxlength=200
            ),
            FormField(
                "risk_assessed_on",
                N_("Data-security risk assessment: date"),
                required=False,
                maxlength=10,
                hint=N_("A date like 2026-11-30"),
            ),
            FormField(
                "risk_result", N_("Data-security risk assessment: result"), required=False, maxlength=200
            ),
            FormField(
                "risk_report", N_("Data-security risk assessment: report"), required=False, maxlength=200
            ),
            FormField(
                "compliance_assessor", N_("Compliance assessment: assessor"), required=False, maxlength=200
            ),
            FormField(
                "compliance_assessed_on",
                N_("Compliance assessment: date"),
                required=False,
                maxlength=10,
                hint=N_("A date like 2026-11-30"),
            ),
            FormField(
                "compliance_grade",
                N_("Compliance assessment: result or grade"),
                required=False,
                maxlength=200,
            ),
            FormField(
                "compliance_report", N_("Compliance assessment: report"), required=False, maxlength=200
            ),
        ],
    ),
]
FORM = Form(SECTIONS)
