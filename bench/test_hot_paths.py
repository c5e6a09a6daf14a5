"""In-process hot paths, timed with pytest-benchmark: `make bench-hot`.

Not part of `make test` (pytest collects tests/ only). Runs on a fresh SQLite database made
by the migrations, with the built-in forms and a small grid.
"""
import os
import subprocess
import sys
import tempfile
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = {"category": "repair", "content": "楼道灯坏了，晚上看不见", "anonymous": True}


@pytest.fixture(scope="module")
def app():
    url = f"sqlite:///{tempfile.mkdtemp()}/hot.db"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=dict(os.environ, DATABASE_URL=url), check=True, capture_output=True)
    from app import create_app
    from app.accounts.services import create_user, grant_role
    from app.extensions import db
    from app.grid.services import import_grid, node_by_code

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        import_grid("code,name,level,parent_code\nS,街道,street,\nC,社区,community,S\n"
                    "E,小区,estate,C\nB1,1栋,building,E\nB2,2栋,building,E\n")
        grant_role(create_user("hot_captain", "bench-password-1", "楼长"), "captain", node_by_code("B1"))
        db.session.commit()
    yield app


@pytest.fixture
def ctx(app):
    with app.test_request_context(method="POST"):
        yield


def _version():
    from app.forms import services as forms
    return forms.get_version(forms.form_by_slug("suggestion"))


def test_schema_building(benchmark, ctx):
    """Building a form version's marshmallow schema from its JSON definition (uncached)."""
    from app.forms import services as forms
    version = _version()

    def build():
        forms.clear_schema_cache()
        return forms._schema_for(version)
    benchmark(build)


def test_validation(benchmark, ctx):
    """Validating a suggestion's data against its (cached) schema."""
    from app.forms import services as forms
    version = _version()
    assert benchmark(forms.validate_data, version, BODY)["content"] == BODY["content"]


def test_routing(benchmark, ctx):
    """Choosing the first state of a new submission: is there a captain on this building?"""
    from app.grid.services import node_by_code
    from app.workflow.engine import initial_route
    workflow, node = _version().workflow, node_by_code("B1")
    assert benchmark(initial_route, workflow, node) == "at_captain"


def test_prepare_submission(benchmark, ctx):
    """Everything the write path does for one plain body before its INSERT."""
    from app.submissions import write

    def prepare():
        body = {"uuid": str(uuid.uuid4()), "form": "suggestion", "grid_code": "B2", "data": BODY}
        return write.lean_submission(write.prepare(body, None))
    assert benchmark(prepare).state == "at_committee"   # B2 has no captain, E no branch
