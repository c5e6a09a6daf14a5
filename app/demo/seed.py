"""The demo data set: a slice of Xinan Street (西南街道), Sanshui, from the seed report."""
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.importer import import_text
from app.accounts.services import user_by_username
from app.core.clock import utcnow
from app.core.timezone import local_today, to_utc
from app.extensions import db
from app.grid.models import GridNode
from app.grid.services import node_by_code
from app.lists.models import Resource
from app.volunteering.models import Post
from app.accounts.services import get_or_create_org
from app.submissions.write import create_submission

HERE = Path(__file__).parent
DEMO_PASSWORD = "tongxin-demo"


def database_is_empty() -> bool:
    users = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    nodes = db.session.execute(select(func.count()).select_from(GridNode)).scalar_one()
    return users == 0 and nodes == 0


def load_demo() -> dict:
    grid, _ = import_text("grid", (HERE / "grid.csv").read_text(encoding="utf-8"))
    users, _ = import_text("users", (HERE / "users.csv").read_text(encoding="utf-8"))
    posts = [  # each at a time its title and description speak of, none overlapping another
        ("时代城1栋党员楼长", "captain", "XN-BJ-SDC-B01", 1, "担任时代城1栋党员楼长，收集居民意见建议；周一晚上到小区党支部报到。",
         "member", _next_local(MONDAY, 19, 30), timedelta(hours=1, minutes=30)),
        ("周末小区环境清洁", "service", "XN-BJ-SDC", 10, "周六上午清理小区公共区域。",
         None, _next_local(SATURDAY, 8, 30), timedelta(hours=3)),
        ("中医义诊志愿服务", "service", "XN-BJ", 20, "协助社区开展中医义诊，引导居民排队。",
         None, _next_local(SUNDAY, 9, 0), timedelta(hours=2, minutes=30)),
    ]
    created_posts = 0
    for title, kind, code, capacity, description, required_role, starts_at, length in posts:
        if db.session.execute(select(Post).where(Post.title == title)).scalar_one_or_none():
            continue
        node = node_by_code(code)
        db.session.add(Post(title=title, kind=kind, grid_node_id=node.id, node_path=node.path,
                            capacity=capacity, description=description, required_role=required_role,
                            starts_at=starts_at, ends_at=starts_at + length, created_at=utcnow()))
        created_posts += 1
    resources = [("管道燃气安全检查", "utilities", "三水燃气公司", "XN-BJ"),
                 ("宽带上门维修", "network", "电信三水分公司", "XN-BJ"),
                 ("老旧小区燃气管道改造咨询", "utilities", "三水燃气公司", "XN-WFD")]
    created_resources = 0
    for title, category, org_name, code in resources:
        if db.session.execute(select(Resource).where(Resource.title == title)).scalar_one_or_none():
            continue
        node = node_by_code(code)
        org = get_or_create_org(org_name)
        db.session.add(Resource(title=title, category=category, org_id=org.id,
                                grid_node_id=node.id, node_path=node.path, created_at=utcnow()))
        created_resources += 1
    db.session.flush()
    letters = _demo_letters()
    return {"grid nodes": grid["created"], "users": users["users_created"],
            "posts": created_posts, "resources": created_resources, "letters": letters}


MONDAY, SATURDAY, SUNDAY = 0, 5, 6


def _next_local(weekday: int, hour: int, minute: int):
    """The coming `weekday` (tomorrow at the earliest) at a wall time of the community, as UTC."""
    today = local_today(utcnow())
    day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return to_utc(datetime.combine(day, time(hour, minute)))


def _demo_letters() -> int:
    captain = user_by_username("captain")
    samples = [("repair", "3楼楼道灯坏了一个星期，晚上上下楼很不方便。", "3楼"),
               ("suggestion", "建议在小区门口增设电动车充电桩。", "小区大门"),
               ("thanks", "感谢楼长帮忙联系物业修好了电梯！", "")]
    n = 0
    for category, content, location in samples:
        create_submission({"uuid": str(uuid.uuid4()), "form": "suggestion",
                           "grid_code": "XN-BJ-SDC-B01",
                           "data": {"category": category, "content": content,
                                    "location": location, "anonymous": True}}, captain)
        n += 1
    return n
