"""The built-in forms shipped as definition files, inserted by a migration."""
import json
from pathlib import Path

from app.workflow.definition import builtin_workflow

DEFINITIONS = Path(__file__).parent / "definitions"
BUILTIN_SLUGS = ("suggestion", "volunteer-signup", "member-registration", "need")


def builtin_forms() -> list[dict]:
    """Each built-in form: its row values and its first version's definition and workflow."""
    out = []
    for slug in BUILTIN_SLUGS:
        definition = json.loads((DEFINITIONS / f"{slug}.json").read_text(encoding="utf-8"))
        workflow = builtin_workflow(definition.pop("workflow"))
        out.append({"slug": slug, "kind": definition.pop("kind"), "public": definition["public"],
                    "submit_scope": definition.pop("submit_scope"), "definition": definition,
                    "workflow": workflow})
    return out
