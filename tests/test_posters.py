"""Printed QR posters (issue 24, contract §6.2): GET /api/v1/grid/<code>/posters.pdf gives one
A4 page per building under the node, each page's QR code decoding to that building's
<PUBLIC_BASE_URL>/app/s/<code>; staff of that node only."""
import os

import pypdfium2
import pytest
import zxingcpp

A4 = (595.2755905511812, 841.8897637795277)


@pytest.fixture
def public_base(app):
    previous = app.config.get("PUBLIC_BASE_URL")
    app.config["PUBLIC_BASE_URL"] = "https://tongxin.example.cn"
    yield "https://tongxin.example.cn"
    app.config["PUBLIC_BASE_URL"] = previous


def pages(pdf_bytes: bytes):
    doc = pypdfium2.PdfDocument(pdf_bytes)
    return [doc[i] for i in range(len(doc))]


def qr_text(page) -> str:
    image = page.render(scale=2).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def page_text(page) -> str:
    return page.get_textpage().get_text_range()


def test_an_estates_posters_have_one_page_per_building_with_its_qr(login, people, public_base):
    r = login("branch").get("/api/v1/grid/E1/posters.pdf")      # E1: buildings B1, B2
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    doc = pages(r.data)
    assert len(doc) == 2
    for page, code, name in zip(doc, ("B1", "B2"), ("时代城1栋", "时代城2栋")):
        assert page.get_size() == pytest.approx(A4, abs=0.5)
        assert qr_text(page) == f"{public_base}/app/s/{code}"
        text = page_text(page)
        assert name in text and "居民意见箱" in text and f"{public_base}/app/s/{code}" in text
        assert "党员楼长" not in text


def test_a_community_and_a_building(login, people, public_base):
    committee = login("committee")
    assert len(pages(committee.get("/api/v1/grid/C1/posters.pdf").data)) == 3   # B1, B2, B3
    one = pages(login("captain").get("/api/v1/grid/B1/posters.pdf").data)      # the captain's own
    assert len(one) == 1 and qr_text(one[0]).endswith("/app/s/B1")


def test_captains_names_when_asked(login, people, make_user, public_base):
    make_user("lixs", ("captain", "B1"), display_name="李杏珊")
    doc = pages(login("branch").get("/api/v1/grid/E1/posters.pdf?captain=1").data)
    assert "党员楼长：" in page_text(doc[0]) and "李杏珊" in page_text(doc[0])
    assert "captain2" in page_text(doc[1])       # B2's captain, by display name


def test_scope(login, people, anon):
    assert login("captain4").get("/api/v1/grid/E1/posters.pdf").status_code == 403   # another estate
    assert login("branch2").get("/api/v1/grid/E1/posters.pdf").status_code == 403
    assert login("committee2").get("/api/v1/grid/B1/posters.pdf").status_code == 403
    assert login("resident").get("/api/v1/grid/E1/posters.pdf").status_code == 403
    assert login("partner").get("/api/v1/grid/E1/posters.pdf").status_code == 403
    assert anon.get("/api/v1/grid/E1/posters.pdf").status_code == 401
    assert login("admin").get("/api/v1/grid/NOPE/posters.pdf").status_code == 404
    assert login("admin").get("/api/v1/grid/ST/posters.pdf").status_code == 200


def test_without_base_url_the_request_host_is_used(login, people, app):
    app.config["PUBLIC_BASE_URL"] = ""
    doc = pages(login("branch").get("/api/v1/grid/B1/posters.pdf", base_url="http://grid.local").data)
    assert qr_text(doc[0]) == "http://grid.local/app/s/B1"


def test_console_button_leads_to_the_pdf(app, people):
    from tests.conftest import csrf_of
    from tests.conftest import PASSWORD

    client = app.test_client()
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    client.post("/admin/login", data={"username": "branch", "password": PASSWORD, "csrf_token": token})
    html = client.get("/admin/grid").get_data(as_text=True)
    assert 'data-testid="posters-form"' in html and "打印二维码海报" in html
    r = client.get("/admin/posters?grid_code=E1&captain=1")
    assert r.status_code == 302 and r.headers["Location"].endswith("/api/v1/grid/E1/posters.pdf?captain=1")
    assert client.get("/admin/posters?grid_code=E3").status_code == 403
    pdf = client.get(r.headers["Location"])
    assert pdf.status_code == 200 and len(pages(pdf.data)) == 2


def test_a_poster_looks_right(login, people, make_user, public_base, tmp_path):
    """Render a page to PNG for a look (into TONGXIN_SCREENSHOTS when it is set)."""
    make_user("huangay", ("captain", "B3"), display_name="黄阿姨")
    doc = pages(login("branch2").get("/api/v1/grid/E2/posters.pdf?captain=1").data)
    image = doc[0].render(scale=1.5).to_pil()
    out = os.environ.get("TONGXIN_SCREENSHOTS")
    image.save(os.path.join(out, "poster-a4.png") if out else tmp_path / "poster.png")
    assert image.width > 800


def test_too_many_buildings_is_a_message(login, people, monkeypatch):
    from app.web import posters

    monkeypatch.setattr(posters, "MAX_POSTERS", 1)
    r = login("branch").get("/api/v1/grid/E1/posters.pdf")
    assert r.status_code == 422 and "下一级网格" in r.get_json()["error"]["message"]


def test_a_large_print_uses_a_fixed_mask_and_still_decodes(login, people, monkeypatch, public_base):
    from app.web import posters

    monkeypatch.setattr(posters, "BEST_MASK_PAGES", 1)
    doc = pages(login("committee").get("/api/v1/grid/C1/posters.pdf").data)
    assert [qr_text(p) for p in doc] == [f"{public_base}/app/s/{c}" for c in ("B1", "B2", "B3")]
