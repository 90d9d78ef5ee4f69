"""The passport in the portfolio export: a section of index.html and index.pdf, and passport.csv, with
each record's standing on the day and the next step."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

from sitecoach.models import utcnow
from tests.conftest import log_in
from tests.passport_world import MENTOR_EMAIL, PASSWORD, assess, grant, make_world, portfolio_pdf_words


def test_the_portfolio_zip_shows_the_passport_in_html_pdf_and_csv(client, services, tmp_path):
    world = make_world(services)
    now, today = utcnow(), utcnow().date()
    grant(services, world, "AUTH-SUPERVISED", today - timedelta(days=30), now)
    assess(services, world, "ASSESS-LV-STRAIGHT", date(2022, 3, 1), now, expires_on=date(2025, 3, 1))
    assess(
        services,
        world,
        "ASSESS-LV-POTEND",
        today - timedelta(days=2),
        now,
        result="refer",
        assessor="Kim Kay",
    )
    log_in(client, MENTOR_EMAIL, PASSWORD)
    response = client.get(f"/mentor/learners/{world.learner}/portfolio.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        html = zf.read("index.html").decode()
        rows = list(csv.DictReader(io.StringIO(zf.read("passport.csv").decode())))
    assert '<section id="passport">' in html and "Working under personal supervision" in html
    assert "Next: LV straight joint (assessment); needs JNT-K1, JNT-K2, CAB-K1" in html
    assert [(r["kind"], r["title"], r["result"], r["standing"]) for r in rows] == [
        ("Authorisation", "Working under personal supervision", "Granted", "Current"),
        ("Assessment", "LV straight joint", "Pass", "Expired"),
        ("Assessment", "LV pot end", "Refer", "Referred"),
    ]
    assert rows[1]["expires_on"] == "2025-03-01" and rows[2]["by"] == "Kim Kay"
    text = portfolio_pdf_words(response.data, tmp_path)
    assert "Authorisation passport" in text
    assert "Working under personal supervision" in text and "Granted: Current" in text
    assert "LV pot end" in text and "Refer: Referred" in text and "Pass: Expired" in text
    assert "Next: LV straight joint (assessment)" in text
