"""Every model of the application, imported once so that SQLAlchemy's metadata holds every
table: create_app imports this module, and so Alembic (migrations/env.py reads the app's
metadata) and the tests' create_all see one complete schema. Above every layer: it names
every feature, and nothing in app/ imports it."""
from app.accounts.models import ApiToken, Org, RoleAssignment, User  # noqa: F401
from app.audit.models import AuditEntry  # noqa: F401
from app.forms.models import Form, FormVersion  # noqa: F401
from app.grid.models import GridNode  # noqa: F401
from app.lists import models as lists  # noqa: F401
from app.meetings import models as meetings  # noqa: F401
from app.notices import models as notices  # noqa: F401
from app.points import models as points  # noqa: F401
from app.submissions import models as submissions  # noqa: F401
from app.uploads import models as uploads  # noqa: F401
from app.volunteering import models as volunteering  # noqa: F401
