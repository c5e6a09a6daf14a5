"""Which feature answers which hook of a lower layer, wired once at app start (create_app).

Lower layers know no feature (the layers in .importlinter): the workflow engine runs a
transition's declared effects by name, a grid move rewrites the paths of every row filed
under the moved node, a form checks references and moves in-flight submissions on publish,
and the request plumbing loads the caller — each through what is registered here. Like
app/models.py it sits above every layer. Registering twice (tests make many apps) replaces
an entry with itself."""
from app.accounts import services as accounts
from app.accounts.models import ApiToken, User
from app.accounts.sessions import session_is_live
from app.core import security
from app.forms import services as forms
from app.grid.services import register_filed_under
from app.lists.models import Resource
from app.lists.services import resource_for_dispatch
from app.meetings.models import Meeting
from app.notices.models import Notice
from app.notifications.models import Channel
from app.points.models import PointEntry
from app.points.services import award_for_transition
from app.submissions import versions, write
from app.submissions.display import register_post_loader
from app.submissions.inbox import register_inbox_notices
from app.submissions.models import Submission, SubmissionEvent
from app.uploads.services import all_unattached
from app.uploads.services import attach as attach_uploads
from app.volunteering import services as volunteering
from app.volunteering.models import Post
from app.workflow.hooks import register_effect, register_lookup


def register_hooks() -> None:
    security.register_account_models(User, ApiToken, session_is_live)

    # The effects a workflow definition may declare (workflow/definition.py: EFFECTS).
    register_effect("points", award_for_transition)
    register_effect("grant_role", accounts.grant_role_for_transition)
    register_effect("release_place", volunteering.release_place)
    register_effect("grant_post_role", volunteering.grant_post_role)
    register_lookup("resource", resource_for_dispatch)

    for column in (Submission.node_path, SubmissionEvent.node_path, Post.node_path,
                   Resource.node_path, PointEntry.node_path, Notice.node_path, Meeting.node_path,
                   Channel.node_path):
        register_filed_under(column)

    register_post_loader(volunteering.posts_by_id)
    write.register_claims(volunteering)
    write.register_attach_uploads(attach_uploads)
    register_inbox_notices("posts", volunteering.notices_for)

    forms.register_in_flight(versions.plan_in_flight, versions.move_in_flight)
    forms.register_reference_check("photo", all_unattached)
