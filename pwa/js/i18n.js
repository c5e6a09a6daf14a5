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
    action_queued: '操作已保存，有信号后自动上传。', history: '处理记录', claim: '认领', cancel_claim: '取消认领',
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
    action_queued: 'Saved; it uploads by itself when there is signal.', history: 'History', claim: 'Claim', cancel_claim: 'Cancel claim',
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
  },
};

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
