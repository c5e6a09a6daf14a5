// The PWA's message catalogue: zh-CN first, English second.
const CATALOGUE = {
  zh: {
    app_name: '同心', tagline: '社区网格服务', sign_in: '登录', sign_out: '退出登录',
    username: '用户名', password: '密码', signing_in: '正在登录…', wrong_login: '用户名或密码错误。',
    offline: '当前离线：填写的内容会保存在手机上，有信号后自动上传。', online: '在线',
    outbox: '待上传', outbox_empty: '没有待上传的内容。', sync_now: '立即上传',
    sent_at: '已于 {time} 上传', waiting: '等待上传', invalid: '需要修改', conflict: '已被他人处理',
    forbidden: '没有权限', not_found: '事项不存在', fix: '修改', discard: '放弃', resubmit: '作为新事项重新提交',
    export_json: '导出为文件', confirm_discard: '确定放弃这条内容吗？放弃后无法恢复。',
    home: '首页', inbox: '待办', posts: '志愿岗位', points: '我的积分', new_letter: '楼长信箱·记录来信',
    new_need: '登记居民需求', register_member: '在职党员报到', forms: '填写表单',
    submit: '提交', saved_offline: '已保存在手机上，有信号后自动上传。', sent: '已提交。',
    required: '此项为必填项。', phone_invalid: '请输入有效的中国大陆手机号码（11 位）。',
    email_invalid: '请输入有效的电子邮箱。', too_long: '长度不能超过 {max} 个字符。',
    too_short: '长度不能少于 {min} 个字符。', too_small: '不能小于 {min}。', too_big: '不能大于 {max}。',
    not_number: '请输入数字。', not_integer: '请输入整数。', bad_format: '格式不正确。', must_agree: '须勾选同意后才能提交。',
    choose: '请选择', building: '楼栋', no_items: '暂无待办事项。', comment: '处理意见', partner: '共建单位',
    action_queued: '操作已保存，有信号后自动上传。', action_waiting: '「{action}」已保存，有信号后自动上传；上传前这一项不能再办理。', see_outbox: '查看待上传', history: '处理记录', claim: '认领', cancel_claim: '取消认领',
    claimed: '已认领', waitlisted: '候补中', capacity: '名额 {claimed}/{capacity}，候补 {waitlisted} 人',
    total_points: '总积分', tracking: '查询进度', tracking_code: '查询码', track_hint: '凭查询码可随时查看办理进度：',
    state: '状态', replies: '回复', session_expired: '登录已过期，请重新登录后继续上传。',
    unsent_warning: '还有 {n} 条内容未上传。退出后它们会保留在这台手机上，您再次登录时继续上传。确定退出吗？',
    storage_persisted: '已开启持久存储，清理浏览器缓存也不会丢失', storage_not_persisted: '未获得持久存储授权',
    new_version: '有新版本', reload: '刷新', language: 'English', me_too: '我也遇到了',
    similar: '本楼栋已有相似的反映：', public_title: '楼长信箱', submitted_thanks: '感谢您的反映！',
    retry_in: '{s} 秒后重试', last_sent: '上次上传：{time}', anonymous_note: '无需登录，楼长会及时跟进。',
    meetings: '联席会议', no_meetings: '暂无联席会议。', decisions: '与本单位有关的决定',
    activities: '社区活动报名', your_name: '您的称呼', your_phone: '手机号码', sign_up: '报名',
    signed_up: '报名成功！', places_left: '剩余名额 {n}', online_only: '请在有信号时报名。',
    notices: '通知公告', relay: '已向本楼转达', relayed: '已转达',
    yes: '是', no: '否', n_days: '{n} 天', n_hours: '{n} 小时', n_minutes: '{n} 分', n_photos: '{n} 张照片',
    system_actor: '系统', resident: '居民', photo: '照片', open_photo: '点按查看大图', close: '关闭',
    photo_offline: '照片需在有信号时查看一次，之后离线也能看。', waited: '已等待 {d}', since: '{time} 起',
    claim_of: '{who} 认领「{post}」（{time}）', claim_of_post: '认领「{post}」（{time}）', my_claims: '我的认领', starts: '开始时间', place: '地点',
    points_reason: '{reason}：+{n}', submitted_on: '提交于 {time}', form: '表单', where: '所在网格', grid_of: '{level}：{name}',
    post_missing: '志愿岗位', partner_unit: '共建单位：{name}', duplicate_of: '与 #{id} 重复', supporters: '{n} 人也遇到了',
    loading: '加载中…', back: '返回', no_cache: '首次使用请在有信号时打开一次。', photo_added: '已添加 {n} 张照片',
    notifications: '消息', notify_unread: '{n} 条未读消息', notify_read_all: '全部标为已读', notify_none: '暂无消息。',
    push_label: '在这台手机上接收推送（有新事项、提醒时通知我）', push_on: '已开启推送。', push_off: '已关闭推送。',
    push_denied: '浏览器未允许通知，请在浏览器设置中允许后再试。', push_failed: '开启推送失败，请稍后再试。', push_unsupported: '这台手机的浏览器不支持推送。',
  },
  en: {
    app_name: 'Tongxin', tagline: 'Community grid service', sign_in: 'Sign in', sign_out: 'Sign out',
    username: 'Username', password: 'Password', signing_in: 'Signing in…', wrong_login: 'Wrong username or password.',
    offline: 'Offline: what you fill in stays on this phone and uploads by itself when there is signal.', online: 'Online',
    outbox: 'Waiting to upload', outbox_empty: 'Nothing waiting to upload.', sync_now: 'Upload now',
    sent_at: 'Uploaded {time}', waiting: 'Waiting', invalid: 'Needs fixing', conflict: 'Already handled by someone else',
    forbidden: 'Not allowed', not_found: 'No longer exists', fix: 'Fix', discard: 'Discard', resubmit: 'Submit as new',
    export_json: 'Export as file', confirm_discard: 'Discard this item? It cannot be recovered.',
    home: 'Home', inbox: 'Inbox', posts: 'Volunteer posts', points: 'My points', new_letter: "Captain's mailbox: record a letter",
    new_need: 'Record a need', register_member: 'Party member registration', forms: 'Forms',
    submit: 'Submit', saved_offline: 'Saved on this phone; it uploads by itself when there is signal.', sent: 'Submitted.',
    required: 'This field is required.', phone_invalid: 'Enter a valid mainland China mobile number (11 digits).',
    email_invalid: 'Enter a valid email address.', too_long: 'At most {max} characters.',
    too_short: 'At least {min} characters.', too_small: 'Must be at least {min}.', too_big: 'Must be at most {max}.',
    not_number: 'Not a valid number.', not_integer: 'Not a valid whole number.', bad_format: 'Not in the expected format.', must_agree: 'You must agree to continue.',
    choose: 'Choose', building: 'Building', no_items: 'Nothing waiting for you.', comment: 'Comment', partner: 'Partner unit',
    action_queued: 'Saved; it uploads by itself when there is signal.', action_waiting: '“{action}” is saved and uploads by itself when there is signal; nothing else can be done here until then.', see_outbox: 'See what waits', history: 'History', claim: 'Claim', cancel_claim: 'Cancel claim',
    claimed: 'Claimed', waitlisted: 'Waitlisted', capacity: 'Places {claimed}/{capacity}, waitlist {waitlisted}',
    total_points: 'Total points', tracking: 'Follow progress', tracking_code: 'Tracking code', track_hint: 'Follow progress any time with this code:',
    state: 'State', replies: 'Replies', session_expired: 'Your sign-in expired; sign in again to continue uploading.',
    unsent_warning: '{n} items are not uploaded yet. They stay on this phone and upload when you sign in again. Sign out?',
    storage_persisted: 'Persistent storage granted: clearing the browser cache will not lose data', storage_not_persisted: 'Persistent storage not granted',
    new_version: 'A new version is ready', reload: 'Reload', language: '中文', me_too: 'Me too',
    similar: 'Similar reports already open for this building:', public_title: "Captain's mailbox", submitted_thanks: 'Thank you!',
    retry_in: 'Retrying in {s} s', last_sent: 'Last upload: {time}', anonymous_note: 'No account needed; your captain follows it up.',
    meetings: 'Joint meetings', no_meetings: 'No joint meetings.', decisions: 'Decisions for my unit',
    activities: 'Community activities', your_name: 'Your name', your_phone: 'Mobile phone', sign_up: 'Sign up',
    signed_up: 'You are signed up!', places_left: '{n} places left', online_only: 'Sign up when you have signal.',
    notices: 'Notices', relay: 'Relayed to my building', relayed: 'Relayed',
    yes: 'Yes', no: 'No', n_days: '{n} d', n_hours: '{n} h', n_minutes: '{n} min', n_photos: '{n} photo(s)',
    system_actor: 'System', resident: 'A resident', photo: 'Photo', open_photo: 'Tap to enlarge', close: 'Close',
    photo_offline: 'Open a photo once with signal; it then shows offline too.', waited: 'Waiting {d}', since: 'since {time}',
    claim_of: '{who} claimed “{post}” ({time})', claim_of_post: 'Claim for “{post}” ({time})', my_claims: 'My claims', starts: 'Starts', place: 'Place',
    points_reason: '{reason}: +{n}', submitted_on: 'Submitted {time}', form: 'Form', where: 'Grid', grid_of: '{level}: {name}',
    post_missing: 'Volunteer post', partner_unit: 'Partner: {name}', duplicate_of: 'Duplicate of #{id}', supporters: '{n} others too',
    loading: 'Loading…', back: 'Back', no_cache: 'Open the app once with signal first.', photo_added: '{n} photo(s) added',
    notifications: 'Messages', notify_unread: '{n} unread messages', notify_read_all: 'Mark all read', notify_none: 'No messages.',
    push_label: 'Receive pushes on this phone (new items, reminders)', push_on: 'Pushes are on.', push_off: 'Pushes are off.',
    push_denied: 'The browser does not allow notifications; allow them in its settings and try again.', push_failed: 'Pushes could not be turned on; try again later.', push_unsupported: "This phone's browser cannot receive pushes.",
  },
};

// Drafts, outbox and sent lists; honest feedback; insecure context; large text (issue 23).
Object.assign(CATALOGUE.zh, {
  action_done: '已办理。', action_done_state: '已办理，现在的状态：{state}。',
  sending: '正在提交…', submitted: '已提交。', submitted_no: '已提交，编号 {n}。', number_is: '编号 {n}。', number_short: '编号 {n}', see_sent: '查看已发送',
  not_accepted: '这条内容没有被接收：', failing: '上传出错', retry: '重试',
  server_failed: '服务器处理这一条时多次出错，已先把其他内容送出。请稍后点「重试」；仍不行请点「导出为文件」交给社区工作人员。',
  draft_restored: '已恢复您 {time} 没填完的内容。', draft_clear: '清空重填',
  draft_kept: '刚才没填完的内容已存为草稿，可在首页「草稿」里继续填写。',
  drafts: '草稿', my_lists: '草稿、待上传和已发送', sent_list: '已发送', saved_on: '保存于 {time}',
  draft_continue: '继续填写', confirm_delete_draft: '确定删除这份草稿吗？删除后无法恢复。', delete: '删除',
  drafts_help: '填了一半的表格会自动保存在这部手机上，关掉浏览器也不会丢。', no_drafts: '没有草稿。',
  delivered: '已送达', as_of: '（{time} 时的状态，有信号后更新）', open: '查看详情',
  sent_help: '近四周从这部手机发出的内容，以及它们现在的办理状态。',
  sent_help_offline: '近四周从这部手机发出的内容。现在没有信号，显示的是上次查到的状态。',
  nothing_sent: '近四周还没有从这部手机发出过内容。', open_fix: '查看或修改',
  outbox_label: '待上传', large_text: '大字', large_text_on: '大字模式：已开启', large_text_off: '大字模式：已关闭',
  insecure: '这个网址以 http:// 开头，不安全：手机可能无法离线保存和安装本应用。您填写的内容仍会保存在这部手机上。请让社区管理员改用 https:// 开头的网址。',
  persist_granted: '您填写的内容会一直保存在这部手机上，清理浏览器缓存也不会丢。',
  persist_denied: '提示：请不要清理浏览器的数据，否则还没上传的内容可能会丢失。', got_it: '知道了',
});
Object.assign(CATALOGUE.en, {
  action_done: 'Done.', action_done_state: 'Done; it is now: {state}.',
  sending: 'Submitting…', submitted: 'Submitted.', submitted_no: 'Submitted: number {n}.', number_is: 'Number {n}.', number_short: 'No. {n}', see_sent: 'See sent items',
  not_accepted: 'This was not accepted:', failing: 'Upload failed', retry: 'Try again',
  server_failed: 'The server failed on this item several times; everything else was sent first. Tap “Try again” later; if it still fails, tap “Export as file” and give it to community staff.',
  draft_restored: 'Restored what you were filling in at {time}.', draft_clear: 'Clear and start again',
  draft_kept: 'What you had typed is kept as a draft; continue it from “Drafts” on the home screen.',
  drafts: 'Drafts', my_lists: 'Drafts, waiting and sent', sent_list: 'Sent', saved_on: 'Saved {time}',
  draft_continue: 'Continue', confirm_delete_draft: 'Delete this draft? It cannot be recovered.', delete: 'Delete',
  drafts_help: 'Half-filled forms are saved on this phone by themselves, even if the browser is closed.', no_drafts: 'No drafts.',
  delivered: 'Delivered', as_of: '(state as of {time}; updates when there is signal)', open: 'Open',
  sent_help: 'What left this phone in the last four weeks, and where it stands now.',
  sent_help_offline: 'What left this phone in the last four weeks. No signal now: these are the last known states.',
  nothing_sent: 'Nothing sent from this phone in the last four weeks.', open_fix: 'Read or fix',
  outbox_label: 'Waiting', large_text: 'Large text', large_text_on: 'Large text: on', large_text_off: 'Large text: off',
  insecure: 'This address starts with http:// and is not secure: the phone may not keep the app offline or install it. What you type is still kept on this phone. Ask the community administrator for an https:// address.',
  persist_granted: 'What you fill in stays on this phone, even if the browser cache is cleared.',
  persist_denied: 'Tip: do not clear the browser’s data, or items not yet uploaded could be lost.', got_it: 'Got it',
});

export function lang() {
  const chosen = localStorage.getItem('tongxin-lang');
  return chosen === 'en' ? 'en' : 'zh';
}

export function setLang(value) { localStorage.setItem('tongxin-lang', value); }

export function t(key, vars = {}) {
  const text = CATALOGUE[lang()][key] ?? CATALOGUE.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function pick(label) {
  if (!label) return '';
  if (typeof label === 'string') return label;
  return label[lang()] || label.zh || label.en || '';
}

// Words a feature's own module brings (zh-CN first, English second), merged at import time.
export function addWords(zh, en) {
  Object.assign(CATALOGUE.zh, zh);
  Object.assign(CATALOGUE.en, en);
}
