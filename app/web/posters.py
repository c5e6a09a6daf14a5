"""GET /api/v1/grid/<code>/posters.pdf (contract §6.2): one A4 poster per building under a
node — the building's name, the mailbox's purpose in large Chinese type, the QR code of
<PUBLIC_BASE_URL>/app/s/<building code>, the short link written out and, if asked
(`?captain=1`), the building captain's name.

Made on the server with segno (the QR code, drawn as vector squares) and reportlab with its
built-in CJK font STSong-Light (a CID font every PDF reader has): no external service, no font
file to ship."""
import io

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from sqlalchemy import select
import segno

from app.core.openapi import query
from app.accounts.models import RoleAssignment, User
from app.core.errors import ApiError
from app.core.paths import under
from app.core.security import require_user
from app.extensions import db
from app.grid.models import GridNode
from app.grid.scope import scope_for
from app.grid.services import node_by_code

blp = Blueprint("posters", __name__, url_prefix="/api/v1/grid",
                description="Printed QR posters of the buildings")
FONT = "STSong-Light"
RED = HexColor("#c8102e")
INK = HexColor("#1f2328")
GREY = HexColor("#57606a")
MAX_POSTERS = 600   # ~40 ms a page: a community of 600 buildings in well under half a minute
# Choosing the best of the eight QR masks (segno's default) costs ~20 ms a code; beyond this
# many pages a fixed mask (as valid, read by every decoder) keeps a street's PDF quick.
BEST_MASK_PAGES = 60
PURPOSE = "居民意见箱"
INVITATION = "扫一扫，说说您对楼栋和小区的意见建议"
PROMISE = "可以匿名 · 不用注册 · 我们会尽快回复"


def public_base() -> str:
    """Where residents reach the app: PUBLIC_BASE_URL, else the address this request used."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


@blp.route("/<code>/posters.pdf", methods=["GET"])
@blp.response(200, description="application/pdf: one A4 page per building under the node. "
              "`?captain=1` prints each building captain's name. Staff of the node only.")
@blp.doc(parameters=[query("captain", "1/true: print each building captain's name")])
def posters(code):
    """QR posters for a building, an estate, a community or a street."""
    user = require_user()
    node = node_by_code(code)
    if node is None:
        raise ApiError(404)
    if not scope_for(user).covers_path(node.path):
        raise ApiError(403)
    buildings = db.session.execute(
        select(GridNode).where(under(GridNode.path, node.path), GridNode.level == "building")
        .order_by(GridNode.path).limit(MAX_POSTERS + 1)).scalars().all()
    if len(buildings) > MAX_POSTERS:
        raise ApiError(422, _("At most %(n)d posters at once; choose a lower node.", n=MAX_POSTERS))
    captains = _captains(buildings) if request.args.get("captain") in ("1", "true", "yes") else {}
    parents = {n.id: n for n in db.session.execute(select(GridNode).where(
        GridNode.id.in_({b.parent_id for b in buildings} or {0}))).scalars()}
    body = render_posters(buildings, parents, captains, public_base())
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="posters-{node.code}.pdf"'})


def _captains(buildings) -> dict[int, list[str]]:
    rows = db.session.execute(
        select(RoleAssignment.grid_node_id, User.display_name)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == "captain", User.active.is_(True),
               RoleAssignment.grid_node_id.in_([b.id for b in buildings] or [0]))
        .order_by(User.display_name)).all()
    out: dict[int, list[str]] = {}
    for node_id, name in rows:
        out.setdefault(node_id, []).append(name)
    return out


def _centred(pdf, text: str, y: float, size: float, colour=INK) -> None:
    pdf.setFont(FONT, size)
    pdf.setFillColor(colour)
    pdf.drawCentredString(A4[0] / 2, y, text)


def _fit(text: str, size: float, width: float) -> float:
    """The largest size up to `size` at which the text fits the width."""
    actual = pdfmetrics.stringWidth(text, FONT, size)
    return size if actual <= width else size * width / actual


def _qr(pdf, url: str, x: float, y: float, side: float, mask: int | None = None) -> None:
    """The QR code as one vector path of black runs (its quiet zone white), bottom-left at
    (x, y). Drawn in module units under a scale, so each run is a few small integers."""
    qr = segno.make(url, error="m", mask=mask)
    matrix = [list(row) for row in qr.matrix]
    count = len(matrix)
    cell = side / (count + 8)          # a 4-module quiet zone on each side
    pdf.setFillColor(white)
    pdf.rect(x, y, side, side, stroke=0, fill=1)
    pdf.saveState()
    pdf.translate(x + 4 * cell, y + side - 4 * cell)
    pdf.scale(cell, -cell)             # module (column, row) from the top-left corner
    pdf.setFillColor(HexColor("#000000"))
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                runs.append(f"{start} {r} {c - start} 1 re")
            else:
                c += 1
    # The runs as PDF path operators (integers in module units), filled at once: reportlab's
    # own path object formats every number in Python, ~50 ms a poster.
    pdf.addLiteral("\n".join(runs) + "\nf")
    pdf.restoreState()


def render_posters(buildings, parents, captains, base: str) -> bytes:
    """The PDF bytes: one A4 page per building (an empty node gives one page saying so)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle("同心 · 居民意见箱二维码")
    pdf.setCreator("Tongxin")
    width, height = A4
    margin = 48
    if not buildings:
        _centred(pdf, "这个网格下还没有楼栋。", height / 2, 24)
        pdf.showPage()
    for building in buildings:
        url = f"{base}/app/s/{building.code}"
        parent = parents.get(building.parent_id)
        pdf.setFillColor(RED)
        pdf.rect(0, height - 18, width, 18, stroke=0, fill=1)
        place = f"{parent.name} · {building.name}" if parent else building.name
        _centred(pdf, place, height - 92, _fit(place, 30, width - 2 * margin))
        _centred(pdf, PURPOSE, height - 182, 72, RED)
        _centred(pdf, INVITATION, height - 232, _fit(INVITATION, 22, width - 2 * margin))
        side = 300
        _qr(pdf, url, (width - side) / 2, height - 262 - side, side,
            None if len(buildings) <= BEST_MASK_PAGES else 2)
        link_y = height - 262 - side - 30
        pdf.setFont("Helvetica", _fit_latin(url, 18, width - 2 * margin))
        pdf.setFillColor(INK)
        pdf.drawCentredString(width / 2, link_y, url)
        _centred(pdf, PROMISE, link_y - 34, 16, GREY)
        names = captains.get(building.id)
        if names:
            line = "党员楼长：" + "、".join(names)
            _centred(pdf, line, link_y - 84, _fit(line, 24, width - 2 * margin))
        pdf.setFillColor(RED)
        pdf.rect(0, 0, width, 10, stroke=0, fill=1)
        _centred(pdf, "同心 · 社区网格", 30, 12, GREY)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _fit_latin(text: str, size: float, width: float) -> float:
    actual = pdfmetrics.stringWidth(text, "Helvetica", size)
    return size if actual <= width else size * width / actual
