"""Tests for the e-portfolio ZIP export (HTML, PDF, media and CSV tables)."""

from __future__ import annotations

import csv
import functools
import io
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from sitecoach.export import (
    Portfolio,
    PortfolioBreak,
    PortfolioCompetency,
    PortfolioEvidence,
    PortfolioHours,
    archive,
    to_latin1,
    write_portfolio_zip,
)

FULL_PHONE = "+447700900123"
MASKED = "+*********123"
T0 = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)  # 09:30 BST in Europe/London


def needs_pdftoppm(test):
    """Poppler is required, not optional: CI installs it (.ci/run), so a missing tool is a failure."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
            assert shutil.which(tool), f"{tool} missing: install poppler-utils (.ci/run does)"
        return test(*args, **kwargs)

    return wrapper


def _png(width: int = 6, height: int = 4) -> bytes:
    """A minimal valid RGB PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes((200, 80, 40)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _portfolio(tmp_path: Path, **changes: object) -> Portfolio:
    photo = tmp_path / "site-photo.png"
    photo.write_bytes(_png())
    form = tmp_path / "permit.pdf"
    form.write_bytes(b"%PDF-1.4 not really")
    competencies = (
        PortfolioCompetency(
            "K1", "knowledge", "Health and safety", "Safe isolation of LV cables", 92.0, (1,), (2,), "Ready"
        ),
        PortfolioCompetency(
            "S4",
            "skill",
            "Jointing",
            "Make a straight-through joint",
            42.0,
            (),
            (2,),
            "Mastery 42%, needs 85%",
        ),
        PortfolioCompetency(
            "B2", "behaviour", "Behaviours", "Works safely with others", 0.0, (), (), "Needs signed evidence"
        ),
    )
    evidence = (
        PortfolioEvidence(
            id=1,
            captured_at=T0,
            note="Isolated the LV board <script>alert('x')</script>",
            status="signed_off",
            competencies=("K1",),
            media=(photo, tmp_path / "gone.jpg", form),
            latitude=51.48161,
            longitude=-3.17909,
            address="Heol y Gwyr, Cardiff",
            signed_by="Dai Jones",
            signed_at=T0 + timedelta(days=1),
            mentor_comment="Good work",
        ),
        PortfolioEvidence(
            id=2,
            captured_at=T0 + timedelta(days=3),
            note='=HYPERLINK("http://evil.example","click")',
            status="pending",
            competencies=("K1", "S4"),
            media=(),
            latitude=None,
            longitude=None,
            address=None,
            signed_by=None,
            signed_at=None,
            mentor_comment="@SUM(1+1)",
        ),
    )
    hours = (
        PortfolioHours(
            T0, 7.5, "Classroom: cable types", "Classroom or training course", "cable types", "verified"
        ),
        PortfolioHours(T0 + timedelta(days=1), 0.1, "+cmd|' /C calc'!A0"),
        PortfolioHours(T0 + timedelta(days=2), 0.2, "-2+3 shadowing"),
    )
    events = (
        {"seq": 1, "at": T0, "kind": "evidence.captured", "data": {"id": 1}, "hash": "a" * 64},
        {
            "seq": 2,
            "at": T0 + timedelta(days=1),
            "kind": "evidence.signed",
            "data": {"id": 1},
            "hash": "b" * 64,
        },
    )
    base = Portfolio(
        learner_name="Rhys Evans",
        learner_ref=MASKED,
        cohort="Cardiff 2026",
        mentor="Dai Jones",
        standard_code="ST1332",
        standard_title="Utility network cable jointer",
        working_map=True,
        generated_at=T0 + timedelta(days=10),
        timezone="Europe/London",
        overall_mastery=44.7,
        competencies=competencies,
        evidence=evidence,
        hours=hours,
        planned_hours=400,
        gateway_gaps=("S4 mastery 42%, needs 85%", "B2 needs signed evidence"),
        events=events,
    )
    return replace(base, **changes)


def _export(tmp_path: Path, portfolio: Portfolio) -> zipfile.ZipFile:
    out = write_portfolio_zip(portfolio, tmp_path / "out" / "portfolio.zip")
    return zipfile.ZipFile(out)


def _rows(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"), newline="")))


def _extract_pdf(zf: zipfile.ZipFile, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "index.pdf"
    pdf.write_bytes(zf.read("index.pdf"))
    return pdf


def _render_page(pdf: Path, page: int) -> Path:
    prefix = pdf.parent / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-r", "50", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pngs = sorted(pdf.parent.glob(f"page{page}*.png"))
    assert len(pngs) == 1
    return pngs[0]


def _assert_page_has_content(png: Path) -> None:
    assert png.stat().st_size > 2_000
    with Image.open(png) as img:
        grey = img.convert("L")
        dark = sum(grey.histogram()[:200])
    assert dark > 500, "the rendered page is (almost) blank"


def _pdf_text(pdf: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext missing: install poppler-utils (.ci/run does)"
    done = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, timeout=60)
    return done.stdout.decode("utf-8")


# ------------------------------------------------------------------------------------------- contents


def test_zip_has_every_file_and_only_existing_media(tmp_path):
    zf = _export(tmp_path, _portfolio(tmp_path))
    names = set(zf.namelist())
    assert {
        "index.html",
        "index.pdf",
        "competencies.csv",
        "evidence.csv",
        "hours.csv",
        "breaks.csv",
        "events.csv",
        "passport.csv",
        "media/1_1.png",
        "media/1_3.pdf",
    } == names
    assert zf.read("media/1_1.png") == _png()
    assert zf.testzip() is None


def test_competencies_csv_lists_every_competency_with_its_evidence_ids(tmp_path):
    portfolio = _portfolio(tmp_path)
    rows = _rows(_export(tmp_path, portfolio), "competencies.csv")
    assert list(rows[0]) == [
        "code",
        "kind",
        "area",
        "text",
        "mastery",
        "status",
        "signed_evidence_ids",
        "pending_evidence_ids",
    ]
    assert [r["code"] for r in rows] == [c.code for c in portfolio.competencies]
    k1 = rows[0]
    assert (k1["area"], k1["mastery"], k1["status"]) == ("Health and safety", "92", "Ready")
    assert (k1["signed_evidence_ids"], k1["pending_evidence_ids"]) == ("1", "2")
    assert rows[1]["status"] == "Mastery 42%, needs 85%"
    assert (rows[2]["signed_evidence_ids"], rows[2]["pending_evidence_ids"]) == ("", "")


def test_many_evidence_ids_are_joined_with_semicolons(tmp_path):
    portfolio = _portfolio(tmp_path)
    many = replace(portfolio.competencies[0], signed_evidence=(1, 5, 9), pending_evidence=(2, 11))
    rows = _rows(_export(tmp_path, replace(portfolio, competencies=(many,))), "competencies.csv")
    assert (rows[0]["signed_evidence_ids"], rows[0]["pending_evidence_ids"]) == ("1;5;9", "2;11")


def test_evidence_csv_rows_in_local_time_with_media(tmp_path):
    rows = _rows(_export(tmp_path, _portfolio(tmp_path)), "evidence.csv")
    assert [r["id"] for r in rows] == ["1", "2"]
    first = rows[0]
    assert first["captured_at"] == "2026-06-01T09:30:00+01:00"  # BST
    assert first["signed_at"] == "2026-06-02T09:30:00+01:00"
    assert (first["status"], first["competencies"]) == ("signed_off", "K1")
    assert (first["latitude"], first["longitude"]) == ("51.48161", "-3.17909")  # numbers, not neutralised
    assert first["media_files"] == "media/1_1.png;media/1_3.pdf"
    assert first["missing_media"] == "gone.jpg"
    assert first["address"] == "Heol y Gwyr, Cardiff"
    assert rows[1]["competencies"] == "K1;S4"
    assert rows[1]["signed_by"] == rows[1]["signed_at"] == rows[1]["latitude"] == ""


def test_hours_csv_rows_and_total(tmp_path):
    rows = _rows(_export(tmp_path, _portfolio(tmp_path)), "hours.csv")
    assert list(rows[0]) == [
        "logged_at",
        "hours",
        "activity",
        "activity_type",
        "learned",
        "status",
        "mentor_comment",
    ]
    assert (rows[0]["activity_type"], rows[0]["learned"], rows[0]["status"]) == (
        "Classroom or training course",
        "cable types",
        "verified",
    )
    assert [r["hours"] for r in rows] == ["7.5", "0.1", "0.2", "7.8"]
    assert rows[0]["logged_at"] == "2026-06-01T09:30:00+01:00"
    assert rows[-1]["logged_at"] == "Total"


def test_breaks_in_learning_are_in_the_csv_and_on_the_page(tmp_path):
    away = (
        PortfolioBreak(date(2026, 7, 1), date(2026, 8, 1), date(2026, 8, 3)),
        PortfolioBreak(date(2026, 9, 14), None, None),
    )
    zf = _export(tmp_path, _portfolio(tmp_path, breaks=away, verified_hours=7.5))
    rows = _rows(zf, "breaks.csv")
    assert [(r["starts_on"], r["expected_return"], r["ended_on"]) for r in rows] == [
        ("2026-07-01", "2026-08-01", "2026-08-03"),
        ("2026-09-14", "", ""),
    ]
    page = zf.read("index.html").decode("utf-8")
    assert "Break in learning from 1 Jul 2026, back 3 Aug 2026" in page
    assert "Break in learning from 14 Sep 2026, still away" in page
    assert "7.8 h logged of 400 h planned (2%); 7.5 h verified by the mentor" in page


def test_events_csv_has_json_data_and_hashes(tmp_path):
    rows = _rows(_export(tmp_path, _portfolio(tmp_path)), "events.csv")
    assert list(rows[0]) == ["seq", "at", "kind", "data", "hash"]
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert rows[1]["data"] == '{"id":1}'  # canonical JSON, as sitecoach.records.audit hashes it
    assert rows[1]["at"] == "2026-06-02T08:30:00.000000+00:00"  # UTC, as hashed
    assert rows[1]["hash"] == "b" * 64


def test_csv_formula_injection_is_neutralised(tmp_path):
    zf = _export(tmp_path, _portfolio(tmp_path))
    evidence = _rows(zf, "evidence.csv")
    assert evidence[1]["note"] == '\'=HYPERLINK("http://evil.example","click")'
    assert evidence[1]["mentor_comment"] == "'@SUM(1+1)"
    activities = [r["activity"] for r in _rows(zf, "hours.csv")]
    assert activities[1] == "'+cmd|' /C calc'!A0"
    assert activities[2] == "'-2+3 shadowing"
    for name in ("competencies.csv", "evidence.csv", "hours.csv", "events.csv", "passport.csv"):
        for row in csv.reader(io.StringIO(zf.read(name).decode("utf-8"), newline="")):
            for cell in row:
                assert not cell.startswith(("=", "+", "@")), (name, cell)


def test_csv_is_utf8_without_bom(tmp_path):
    portfolio = _portfolio(
        tmp_path, competencies=(replace(_portfolio(tmp_path).competencies[0], text="Gŵyr ≥ 2"),)
    )
    raw = _export(tmp_path, portfolio).read("competencies.csv")
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "Gŵyr ≥ 2" in raw.decode("utf-8")


# ----------------------------------------------------------------------------------------------- HTML


def test_html_escapes_notes_and_says_working_map(tmp_path):
    page = _export(tmp_path, _portfolio(tmp_path)).read("index.html").decode("utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Working map, not the official KSBs" in page
    assert "http://" not in page.replace("http://evil.example", "")  # no external resources
    assert '<img src="media/1_1.png"' in page
    assert '<a href="media/1_3.pdf">' in page
    assert "Missing file: gone.jpg" in page
    assert 'href="#ev-1"' in page and 'id="ev-1"' in page and 'href="#ev-2"' in page
    assert "S4 mastery 42%, needs 85%" in page
    assert "7.8 h logged of 400 h planned" in page
    assert "2 entries in the audit log" in page and "b" * 64 in page
    assert '<meta name="viewport"' in page


def test_html_without_working_map_or_gaps(tmp_path):
    portfolio = _portfolio(tmp_path, working_map=False, gateway_gaps=(), evidence=(), hours=(), events=())
    page = _export(tmp_path, portfolio).read("index.html").decode("utf-8")
    assert "working map" not in page.lower()
    assert "Ready for gateway" in page
    assert "No evidence captured yet." in page and "No hours logged yet." in page


def test_masked_ref_appears_and_full_phone_never_does(tmp_path):
    zf = _export(tmp_path, _portfolio(tmp_path))
    assert MASKED in zf.read("index.html").decode("utf-8")
    for name in zf.namelist():
        assert FULL_PHONE.encode() not in zf.read(name)
    text = _pdf_text(_extract_pdf(zf, tmp_path / "pdf"))
    assert MASKED in text


def test_full_phone_passed_as_ref_is_masked(tmp_path):
    zf = _export(tmp_path, _portfolio(tmp_path, learner_ref=FULL_PHONE))
    assert MASKED in zf.read("index.html").decode("utf-8")
    for name in zf.namelist():
        assert b"7700900123" not in zf.read(name)


# ------------------------------------------------------------------------------------------------ PDF


@needs_pdftoppm
def test_pdf_opens_and_renders(tmp_path):
    zf = _export(tmp_path, _portfolio(tmp_path))
    pdf = _extract_pdf(zf, tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    _assert_page_has_content(_render_page(pdf, 1))
    text = _pdf_text(pdf)
    assert "Rhys Evans" in text
    assert "Working map, not the official KSBs" in text
    assert "Coverage matrix" in text and "Off-the-job hours" in text
    assert "Missing file: gone.jpg" in text
    assert "Attached file: media/1_3.pdf" in text


@needs_pdftoppm
def test_pdf_metadata(tmp_path):
    pdf = _extract_pdf(_export(tmp_path, _portfolio(tmp_path, learner_name="Siân Ŵyn")), tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, timeout=60).stdout.decode()
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in info.splitlines())}
    assert fields["Title"].startswith("E-portfolio: Siân Ŵyn - ST1332")
    assert fields["Author"] == "Siân Ŵyn"


@needs_pdftoppm
def test_non_latin1_text_never_raises_and_pdf_renders(tmp_path):
    odd = "Siân’s “joint” — ≥ 85% · ŵ Ŵ • 👍🏽 🧑‍🔧 ✅ € ﬁ\tzero\u200bwidth\x07"
    portfolio = _portfolio(tmp_path)
    portfolio = replace(
        portfolio,
        learner_name="Gwenllian Ŵyn 👷",
        cohort=odd,
        standard_title=odd,
        competencies=tuple(
            replace(c, text=odd, area_title=odd, status=odd, kind="sgìl ŵ") for c in portfolio.competencies
        ),
        evidence=tuple(
            replace(e, note=odd, address=odd, mentor_comment=odd, signed_by="Dafydd ap Gwŷn")
            for e in portfolio.evidence
        ),
        hours=tuple(replace(h, activity=odd) for h in portfolio.hours),
        gateway_gaps=(odd,),
    )
    zf = _export(tmp_path, portfolio)
    pdf = _extract_pdf(zf, tmp_path / "pdf")
    _assert_page_has_content(_render_page(pdf, 1))
    _assert_page_has_content(_render_page(pdf, 2))
    assert odd in zf.read("index.html").decode("utf-8")  # HTML keeps the real characters
    text = _pdf_text(pdf)
    assert "Gwenllian Wyn" in text
    assert "Dafydd ap Gwyn" in text
    assert "Sian's" not in text and 'Siân\'s "joint" - >= 85%' in text


@needs_pdftoppm
def test_unreadable_image_is_skipped_with_a_note(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    big = tmp_path / "big.jpg"
    Image.new("RGB", (2400, 1600), (40, 90, 160)).save(big)
    portfolio = _portfolio(tmp_path)
    item = replace(portfolio.evidence[0], media=(broken, big))
    zf = _export(tmp_path, replace(portfolio, evidence=(item,)))
    assert {"media/1_1.jpg", "media/1_2.jpg"} <= set(zf.namelist())  # the originals still go in the ZIP
    assert "(image could not be previewed)" in zf.read("index.html").decode("utf-8")
    pdf = _extract_pdf(zf, tmp_path / "pdf")
    _assert_page_has_content(_render_page(pdf, 1))
    text = _pdf_text(pdf)
    assert "Image media/1_1.jpg could not be embedded" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ASCII", "plain ASCII"),
        ("“quoted” ‘single’", "\"quoted\" 'single'"),
        ("a – b — c", "a - b - c"),
        ("≥ 85% · • ok", ">= 85% · * ok"),
        ("Gŵyr Ŵ café", "Gwyr W café"),
        ("👍🏽 done", "? done"),
        ("fine\u200b\x07", "fine"),
        ("tab\there\r\nnext", "tab    here\nnext"),
    ],
)
def test_to_latin1(text, expected):
    assert to_latin1(text) == expected
    to_latin1(text).encode("latin-1")


def test_to_latin1_never_raises_on_any_code_point():
    sample = "".join(chr(c) for c in range(0, 0x3000)) + "".join(chr(c) for c in range(0x1F300, 0x1FAFF))
    sample = "".join(ch for ch in sample if not 0xD800 <= ord(ch) <= 0xDFFF)
    to_latin1(sample).encode("latin-1")


# ----------------------------------------------------------------------------------------- atomicity


def test_writing_twice_replaces_the_file_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "exports" / "portfolio.zip"
    write_portfolio_zip(_portfolio(tmp_path, learner_name="First Name"), out)
    assert write_portfolio_zip(_portfolio(tmp_path, learner_name="Second Name"), out) == out
    page = zipfile.ZipFile(out).read("index.html").decode("utf-8")
    assert "Second Name" in page and "First Name" not in page
    assert [p.name for p in out.parent.iterdir()] == ["portfolio.zip"]


def test_failed_write_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    out = tmp_path / "portfolio.zip"
    write_portfolio_zip(_portfolio(tmp_path), out)
    before = out.read_bytes()

    def boom(ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(archive, "events_csv", boom)
    with pytest.raises(RuntimeError):
        write_portfolio_zip(_portfolio(tmp_path, learner_name="Other"), out)
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unknown_timezone_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Mars/Olympus"):
        write_portfolio_zip(_portfolio(tmp_path, timezone="Mars/Olympus"), tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()


# ------------------------------------------------------------------------------------------- progress


def test_export_asked_for_progress_prints_exactly_one_summary_line_off_a_terminal(tmp_path, capsys):
    write_portfolio_zip(_portfolio(tmp_path), tmp_path / "p.zip", show_progress=True)
    out, err = capsys.readouterr()
    # index.html, index.pdf, the two media files on disk and the six CSV tables
    assert out == "" and re.fullmatch(r"exported 10 portfolio files in \d+\.\d s\n", err), err


def test_export_is_silent_by_default_as_the_web_calls_it(tmp_path, capsys):
    write_portfolio_zip(_portfolio(tmp_path), tmp_path / "p.zip")
    assert capsys.readouterr() == ("", "")
