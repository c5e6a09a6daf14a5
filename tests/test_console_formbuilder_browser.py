"""The form builder and the workflow editor in Chromium (issue 24): a committee member builds a
new form from Chinese labels alone, previews it on a phone-sized frame, publishes it; a
captain's phone shows it after sync; the API validates submissions by it. The workflow editor
changes a timer to `3 天` and the API's definition says 72 hours."""
import pytest
import requests

from app.workflow.definition import parse_duration
from tests.browser import console_sign_in, desk, expect, shot, sign_in, token_for
from tests.conftest import new_uuid

pytestmark = pytest.mark.browser

SLUG = "lin-li-hu-zhu-deng-ji"


def _ready(page):
    expect(page.locator("#editor[data-ready='1']")).to_have_count(1)


def _add(page, label, kind, choices=None, required=False):
    page.fill("#new-zh", label)
    page.select_option("#new-type", label=kind)
    if choices:
        expect(page.locator("#new-choices")).to_be_visible()
        page.fill("#new-choices", "\n".join(choices))
    else:
        expect(page.locator("#new-choices")).to_be_hidden()
    if required:
        page.check("#new-required")
    count = page.locator("#field-list li.field-row").count()
    page.click("#add-field")
    expect(page.locator("#field-list li.field-row")).to_have_count(count + 1)


@pytest.mark.slow
def test_a_new_form_from_chinese_labels_reaches_the_captain(browser, phone, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/forms")
    page.click("#new-form")
    _ready(page)
    page.fill("#title-zh", "邻里互助登记")
    _add(page, "姓名", "单行文字", required=True)
    _add(page, "需要的帮助", "单选", choices=["买菜", "陪诊", "代取快递"], required=True)
    _add(page, "现场照片", "照片")
    _add(page, "希望日期", "日期")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("input[name=xing_ming]")).to_be_visible()
    expect(preview.locator("select[name=xu_yao_de_bang_zhu] option")).to_have_count(4)
    expect(preview.locator("input[type=file][name=xian_chang_zhao_pian]")).to_have_count(1)
    expect(preview.locator("input[type=date][name=xi_wang_ri_qi]")).to_have_count(1)
    expect(page.locator("#preview-title")).to_have_text("邻里互助登记")
    # Arrows reorder: the date goes above the photo.
    page.locator("#field-list li[data-name='xi_wang_ri_qi'] [data-role=up]").click()
    expect(page.locator("#field-list li").nth(2)).to_have_attribute("data-name", "xi_wang_ri_qi")
    expect(preview.locator(".field").nth(2)).to_have_attribute("data-field", "xi_wang_ri_qi")
    # Dragging works too: the photo dragged to the top, then back to the end.
    page.locator("#field-list li[data-name='xian_chang_zhao_pian'] .drag-handle").drag_to(
        page.locator("#field-list li").first)
    expect(page.locator("#field-list li").first).to_have_attribute("data-name", "xian_chang_zhao_pian")
    page.locator("#field-list li[data-name='xian_chang_zhao_pian'] .drag-handle").drag_to(
        page.locator("#field-list li").last)
    expect(page.locator("#field-list li").last).to_have_attribute("data-name", "xian_chang_zhao_pian")
    # "Shown when": the date only when the help is 陪诊 — chosen by the labels.
    row = page.locator("#field-list li[data-name='xi_wang_ri_qi']")
    row.locator("details.more summary").click()
    row.locator("select[data-role=visible-field]").select_option(label="需要的帮助")
    row = page.locator("#field-list li[data-name='xi_wang_ri_qi']")
    row.locator("details.more summary").click()
    row.locator("select[data-role=visible-equals]").select_option(label="陪诊")
    expect(preview.locator("input[name=xi_wang_ri_qi]")).to_be_hidden()
    preview.locator("select[name=xu_yao_de_bang_zhu]").select_option(label="陪诊")
    expect(preview.locator("input[name=xi_wang_ri_qi]")).to_be_visible()
    shot(page, "console-formbuilder-new")
    shot(page.get_by_test_id("phone-frame"), "console-formbuilder-phone-preview")
    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("已发布第 1 版")
    assert page.url.endswith(f"/admin/forms/{SLUG}")
    shot(page, "console-formbuilder-published")

    # The captain's phone shows it after sync (signing in fetches the forms).
    mobile = phone.new_page()
    sign_in(mobile, live_server)
    tile = mobile.locator(f"a.tile[href='/app/new/{SLUG}']")
    expect(tile).to_have_text("邻里互助登记")
    tile.click()
    expect(mobile.locator("select[name=xu_yao_de_bang_zhu]")).to_be_visible()
    expect(mobile.locator("label[for=f-xing_ming]")).to_contain_text("姓名")
    shot(mobile, "pwa-new-form-from-console")

    # The API validates submissions by it.
    token = token_for(live_server, "captain")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"uuid": new_uuid(), "form": SLUG, "grid_code": "B1",
            "data": {"xing_ming": "张阿姨", "xu_yao_de_bang_zhu": "修车"}}
    bad = requests.post(f"{live_server}/api/v1/submissions", json=body, headers=headers)
    assert bad.status_code == 422 and "data.xu_yao_de_bang_zhu" in bad.json()["error"]["fields"]
    body = {**body, "uuid": new_uuid(), "data": {"xing_ming": "张阿姨", "xu_yao_de_bang_zhu": "pei_zhen",
                                                 "xi_wang_ri_qi": "2026-12-10"}}
    form = requests.get(f"{live_server}/api/v1/forms/{SLUG}", headers=headers).json()
    assert form["fields"][2]["visible_if"] == {"field": "xu_yao_de_bang_zhu", "equals": "pei_zhen"}
    ok = requests.post(f"{live_server}/api/v1/submissions", json=body, headers=headers)
    assert ok.status_code == 201, ok.json()

    # Closing it: the API refuses new submissions.
    page.click("#toggle-closed")
    expect(page.get_by_test_id("form-closed")).to_be_visible()
    body = {**body, "uuid": new_uuid()}
    assert requests.post(f"{live_server}/api/v1/submissions", json=body, headers=headers).status_code == 409
    context.close()


def test_a_bad_field_is_shown_by_its_label(browser, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/forms/new")
    _ready(page)
    page.fill("#title-zh", "登记表")
    _add(page, "姓名", "单行文字")
    _add(page, "联系电话", "单选", choices=["甲"])
    # Someone who cares edits the machine name, badly.
    page.locator("#field-list li[data-name='lian_xi_dian_hua'] details.more summary").click()
    name = page.locator("#field-list li[data-name='lian_xi_dian_hua'] input[data-role=name]")
    name.fill("8号")
    name.dispatch_event("change")
    page.click("#publish")
    errors = page.get_by_test_id("publish-errors")
    expect(errors).to_contain_text("第 2 个字段「联系电话」")
    assert "fields.1" not in errors.inner_text()
    shot(page, "console-formbuilder-error")
    context.close()


def test_the_workflow_editor_sets_a_timer_of_three_days(browser, live_server, people):
    context = desk(browser)
    page = context.new_page()
    console_sign_in(page, live_server)
    page.goto(f"{live_server}/admin/forms/need")
    _ready(page)
    timer = page.locator("#transition-editor tr[data-timer='0']")
    expect(timer).to_contain_text("楼长")       # states by their labels, not codes
    timer.locator("select[data-role=unit]").select_option(label="天")
    timer = page.locator("#transition-editor tr[data-timer='0']")
    timer.locator("input[data-role=after]").fill("3")
    timer.locator("input[data-role=after]").dispatch_event("change")
    timer = page.locator("#transition-editor tr[data-timer='0']")
    expect(timer.locator("input[data-role=after]")).to_have_value("3")
    expect(timer.locator("select[data-role=unit]")).to_have_value("d")
    # A new state with its Chinese and English names, and an action into it: the diagram follows.
    page.fill("#state-zh", "物业处理中")
    page.fill("#state-en", "With the property manager")
    page.select_option("#state-tier", label="社区党委")
    page.click("#add-state")
    page.fill("#action-zh", "转物业")
    page.fill("#action-en", "Pass to the property manager")
    page.select_option("#action-from", label="社区党委处理中")
    page.select_option("#action-to", label="物业处理中")
    page.click("#add-action")
    page.fill("#action-zh", "物业办结")
    page.select_option("#action-from", label="物业处理中")
    page.select_option("#action-to", label="已解决")
    page.click("#add-action")
    expect(page.get_by_test_id("diagram")).to_contain_text("物业处理中")
    expect(page.get_by_test_id("diagram")).to_contain_text("转物业")
    shot(page, "console-workflow-editor-words")
    page.click("#publish")
    expect(page.locator(".flash")).to_contain_text("已发布第 2 版")
    token = token_for(live_server, "committee")
    form = requests.get(f"{live_server}/api/v1/forms/need", headers={"Authorization": f"Bearer {token}"}).json()
    after = form["workflow"]["timers"][0]["after"]
    assert after == "3d" and parse_duration(after).total_seconds() == 72 * 3600
    state = form["workflow"]["states"]["with_the_property_manager"]
    assert state["label"] == {"zh": "物业处理中", "en": "With the property manager"}
    context.close()
