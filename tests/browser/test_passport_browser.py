"""The authorisation passport in a real browser: the mentor records an authorisation with a photo of the
signed sheet and an assessment with a PDF certificate; the learner asks on WhatsApp (in the simulator) and
gets the list; the portfolio PDF shows it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image

from tests.browser.conftest import loaded_image_width
from tests.browser.test_simulator_browser import _simulator_as, _type
from tests.passport_world import LEARNER_PHONE, MENTOR_EMAIL, PASSWORD, make_world, portfolio_pdf_words

PDF_CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _jpeg(path):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 160)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_mentor_records_the_passport_the_learner_asks_and_the_pdf_shows_it(
    browser, live_server, services, shoot, tmp_path
):
    world = make_world(services)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{live_server}/mentor/learners/{world.learner}")
    page.fill("input[name=email]", MENTOR_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#passport >> text=Nothing recorded yet.")

    auth = page.locator("form[aria-label='Record an authorisation']")
    auth.locator("select[name=code]").select_option(label="Working under personal supervision")
    auth.locator("input[name=evidence_file]").set_input_files(_jpeg(tmp_path / "signed-sheet.jpg"))
    auth.locator("input[name=notes]").fill("Signed by the operations manager")
    auth.locator("button[type=submit]").click()
    page.wait_for_selector("text=Recorded: Working under personal supervision.")
    shoot(page, "authorisation")

    (tmp_path / "certificate.pdf").write_bytes(PDF_CERTIFICATE)
    done = page.locator("form[aria-label='Record a practical assessment']")
    done.locator("select[name=code]").select_option(label="LV straight joint")
    done.locator("input[name=assessor]").fill("Alex Assessor")
    done.locator("input[name=evidence_file]").set_input_files(str(tmp_path / "certificate.pdf"))
    done.locator("button[type=submit]").click()
    page.wait_for_selector("text=Recorded: LV straight joint.")
    passport = page.inner_text("#passport")
    assert "Working under personal supervision (authorisation)" in passport
    assert "LV straight joint (assessment)" in passport and "Next: LV service breech joint" in passport
    # the photo of the signed sheet is one of the learner's evidence items, shown on the page
    assert loaded_image_width(page, ".evidence img") == 320
    shoot(page, "assessment")

    phone = _simulator_as(browser, live_server, services, LEARNER_PHONE)
    _type(phone, services, "what am i signed off for")
    phone.wait_for_selector("#learner-log >> text=Your authorisation passport")
    log = phone.inner_text("#learner-log")
    assert "✅ Working under personal supervision: until" in log
    assert "✅ LV straight joint (assessed): until" in log
    assert "Next: LV service breech joint (assessment)" in log
    shoot(phone, "whatsapp")

    with page.expect_download() as download:
        page.click("text=Download portfolio (ZIP)")
    archive = Path(download.value.path()).read_bytes()
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert "passport.csv" in names and any(n.endswith(".pdf") and n.startswith("media/") for n in names)
    text = portfolio_pdf_words(archive, tmp_path)
    assert "Authorisation passport" in text
    assert "Working under personal supervision" in text and "Granted: Current" in text
    assert "LV straight joint" in text and "Alex Assessor" in text and "Pass: Current" in text
    page.close()
    phone.close()
