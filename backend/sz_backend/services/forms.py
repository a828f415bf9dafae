"""Builds the printable PDFs from stored records (the layout lives in ../pdf.py)."""

from __future__ import annotations

from datetime import datetime

from ..catalogue import CatalogueEntry, get_catalogue
from ..pdf import ApplicationFormData, MismatchItem, render_application_form
from ..persistence.models import Person, PreApplication
from ..rules.masking import mask_id_number


def application_form_pdf(pre: PreApplication, entry: CatalogueEntry, subject: Person, now: datetime) -> bytes:
    labels = {f.name: f.label_zh for f in entry.fields}
    rows = [(labels.get(k, k), v) for k, v in pre.data.items()]
    if subject.id != pre.applicant_person_id:
        rows.insert(0, ("办理对象", subject.name))
    return render_application_form(
        ApplicationFormData(
            item_code=entry.code,
            item_name_zh=entry.name_zh,
            pre_application_number=pre.number,
            applicant_name=subject.name,
            id_number_masked=mask_id_number(subject.id_number),
            submitted_at=now,
            fields=rows,
            materials=[m["zh"] for m in pre.materials],
            service_location=get_catalogue().where_zh,
            mismatches=[MismatchItem(m["label_zh"], m["submitted"], m["registry"], m["fix_zh"]) for m in pre.mismatches]
            or None,
        )
    )
