"""GET /api/v1/meta: what every client needs to show words, not codes, in community time."""
from flask import jsonify
from flask_smorest import Blueprint

from app.core.timezone import zone_name
from app.core.words import vocabulary

blp = Blueprint("meta", __name__, url_prefix="/api/v1",
                description="The community's time zone and the vocabulary of codes")


@blp.route("/meta", methods=["GET"])
@blp.response(200, description=(
    "`{timezone, version, vocabulary: {roles, levels, states, actions, forms, booleans}}`; "
    "each vocabulary entry maps a code to its label `{zh, en}`. No sign-in."))
def meta():
    """The community's IANA time zone, the app version and the labels of every code."""
    from app import __version__
    return jsonify({"timezone": zone_name(), "version": __version__,
                    "vocabulary": vocabulary()})
