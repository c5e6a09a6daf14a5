"""The test suite's own isolation (tests/conftest.py): each test starts from the schema and
the built-in forms, whatever the tests before it wrote, rolled back or committed."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.forms.builtin import builtin_forms
from app.forms.models import Form
from app.submissions.models import Submission
from tests.conftest import suggestion


def _counts():
    return (db.session.execute(select(func.count()).select_from(Submission)).scalar_one(),
            db.session.execute(select(func.count()).select_from(Form)).scalar_one())


def _starts_empty_then_writes(in_app, login, make_user):
    assert in_app(_counts) == (0, len(builtin_forms()))
    assert login("captain").get("/api/v1/auth/me").status_code == 200
    r = login("captain").post("/api/v1/submissions", json=suggestion())
    assert r.status_code == 201
    make_user("captain", ("captain", "B2"))   # a role: the reference cache's generation moves
    assert in_app(_counts)[0] == 1


@pytest.mark.parametrize("turn", [1, 2])
def test_a_rolled_back_test_starts_from_the_built_in_forms(turn, in_app, login, people, make_user):
    _starts_empty_then_writes(in_app, login, make_user)


@pytest.mark.committed
@pytest.mark.parametrize("turn", [1, 2])
def test_a_committed_test_starts_from_the_built_in_forms(turn, in_app, login, people, make_user):
    _starts_empty_then_writes(in_app, login, make_user)


def test_the_rolled_back_test_after_a_committed_one_starts_afresh(in_app, login, people, make_user):
    _starts_empty_then_writes(in_app, login, make_user)
