/*! Moderato comment widget. Embed with:
 *    <div data-moderato-thread="/news/2020/03/24/123.html"></div>
 *    <script src="https://comments.example.com/embed.js" async></script>
 *  Optional attributes on the div: data-moderato-site, data-moderato-title, data-moderato-lang (zh-CN, zh-TW, en),
 *  data-moderato-theme (light, dark), data-moderato-order (newest, oldest), data-moderato-user-token (a signed-in
 *  reader, signed by the host site), data-moderato-max-length. No eval, no inline styles, no third-party requests:
 *  comment text only ever reaches the page through textContent. */
(function () {
  "use strict";
  if (window.Moderato && window.Moderato.scan) { window.Moderato.scan(); return; }
  var CSS = "__MODERATO_CSS__"; // replaced by the service with embed.css when it serves /embed.js
  var PAGE = 20;
  var POLL = [1500, 3000, 5000, 10000, 20000, 30000];
  var me = document.currentScript || (function () {
    var s = document.querySelectorAll("script[src]");
    for (var i = s.length - 1; i >= 0; i--) if (/\/embed\.js(\?|#|$)/.test(s[i].src)) return s[i];
    return null;
  })();
  // The API lives next to the script, whatever page embeds it.
  var BASE = (me ? new URL(".", me.src) : new URL("/", location.href)).href.replace(/\/$/, "");

  var T = {
    "zh-CN": {
      title: "网友评论", count: "共 {n} 条", sort: "排序", newest: "最新", oldest: "最早", hot: "热评", nick: "昵称",
      like: "赞", likes: "点赞，已有 {n} 人赞过", pinned: "置顶", closed: "本文评论已关闭。", e_thread_closed: "本文评论已关闭，不能再发表评论。",
      email: "邮箱（选填，不公开）", text: "评论内容", ph: "说点什么吧……", emoji: "表情", captcha: "验证码",
      captchaImg: "验证码图片", refresh: "换一张", audio: "听语音验证码", submit: "发表评论", busy: "发表中……",
      replyTo: "回复 @{n}", cancelReply: "取消回复", reply: "回复", report: "举报", reported: "已举报", verified: "已登录用户", erased: "该评论已应作者要求删除",
      signedAs: "以 {n} 的身份发表", pending: "审核中", held: "等待人工审核", rejected: "未能发布",
      pendingNote: "评论已提交，审核通过后将公开显示。", heldNote: "您的评论需要人工审核，请耐心等待。",
      publishedNote: "您的评论已发布。", rejectedNote: "很抱歉，您的评论未能发布。", dismiss: "知道了",
      more: "加载更多", loading: "加载中……", empty: "还没有评论，来说两句吧。", loadError: "评论加载失败。",
      retry: "重试", now: "刚刚", min: "{n}分钟前", hour: "{n}小时前", day: "{n}天前", why: "举报原因",
      spam: "垃圾广告", abuse: "辱骂攻击", other: "其他", details: "补充说明（选填）", send: "提交举报",
      cancel: "取消", thanks: "已收到举报，感谢您的反馈。", playing: "正在播放语音验证码。", chars: "字数",
      f_author: "昵称", f_text: "评论内容", f_email: "邮箱", f_captcha_answer: "验证码", f_reason: "举报原因",
      e_captcha_invalid: "验证码错误或已过期，请重新输入。", e_missing_field: "请填写{f}。",
      e_field_too_long: "{f}太长了。", e_invalid_field: "{f}格式不正确。",
      e_identity_invalid: "登录状态已失效，请刷新页面后重试。", e_origin_not_allowed: "本网站未获准使用评论服务。",
      e_rate_limited: "操作太频繁，请稍后再试。", e_rate_wait: "操作太频繁，请 {n} 秒后再试。", e_already_reported: "您已经举报过这条评论。",
      e_comment_not_found: "评论不存在或已被删除。", e_payload_too_large: "内容太长了。",
      e_network: "网络连接失败，请检查网络后重试。", e_service_unavailable: "服务暂时不可用，请稍后再试。",
      e_banned: "您暂时不能发表评论。", e_other: "出错了，请稍后再试。",
      signin: "登录", signup: "注册", signout: "退出", forgot: "忘记密码", sendReset: "发送重设邮件", delAcct: "注销帐号",
      delAnon: "保留我的评论，匿名显示", delErase: "同时删除我的全部评论", delDone: "帐号已注销。", needAcct: "登录后才能发表评论。",
      verifySent: "验证邮件已发送，请点击邮件中的链接，然后登录。", resetSent: "如果该邮箱已注册，重设密码的邮件已发出。",
      resend: "重发验证邮件", notify: "有人回复时邮件通知我", del: "删除", delSure: "确认删除", deleted: "评论已删除。", gone: "已注销用户",
      f_nickname: "昵称", f_password: "密码", e_email_unverified: "请先点击验证邮件中的链接，验证您的邮箱。",
      e_email_taken: "该邮箱已注册，请直接登录。", e_sign_in_failed: "邮箱或密码不正确。", e_session_invalid: "登录已过期，请重新登录。",
      e_login_locked: "登录失败次数过多，请稍后再试。", e_account_required: "请登录后发表评论。", e_accounts_disabled: "本站未开放注册。",
      e_mail_unavailable: "暂时无法发送邮件，请稍后再试。",
      cut: "内容超过 {n} 字，多出的部分已删去。", reportWho: "举报 {a} 的评论：{x}", reportedWho: "已举报 {a} 的评论：{x}",
      published: "已发布"
    },
    "zh-TW": {
      title: "網友評論", count: "共 {n} 則", sort: "排序", newest: "最新", oldest: "最早", hot: "熱評", nick: "暱稱",
      like: "讚", likes: "按讚，已有 {n} 人按讚", pinned: "置頂", closed: "本文評論已關閉。", e_thread_closed: "本文評論已關閉，無法再發表評論。",
      email: "電子郵件（選填，不公開）", text: "評論內容", ph: "說點什麼吧……", emoji: "表情", captcha: "驗證碼",
      captchaImg: "驗證碼圖片", refresh: "換一張", audio: "聽語音驗證碼", submit: "發表評論", busy: "發表中……",
      replyTo: "回覆 @{n}", cancelReply: "取消回覆", reply: "回覆", report: "檢舉", reported: "已檢舉", verified: "已登入用戶", erased: "該評論已應作者要求刪除",
      signedAs: "以 {n} 的身分發表", pending: "審核中", held: "等待人工審核", rejected: "未能發佈",
      pendingNote: "評論已送出，審核通過後將公開顯示。", heldNote: "您的評論需要人工審核，請耐心等候。",
      publishedNote: "您的評論已發佈。", rejectedNote: "很抱歉，您的評論未能發佈。", dismiss: "知道了",
      more: "載入更多", loading: "載入中……", empty: "還沒有評論，來說兩句吧。", loadError: "評論載入失敗。",
      retry: "重試", now: "剛剛", min: "{n}分鐘前", hour: "{n}小時前", day: "{n}天前", why: "檢舉原因",
      spam: "垃圾廣告", abuse: "辱罵攻擊", other: "其他", details: "補充說明（選填）", send: "送出檢舉",
      cancel: "取消", thanks: "已收到檢舉，感謝您的回饋。", playing: "正在播放語音驗證碼。", chars: "字數",
      f_author: "暱稱", f_text: "評論內容", f_email: "電子郵件", f_captcha_answer: "驗證碼", f_reason: "檢舉原因",
      e_captcha_invalid: "驗證碼錯誤或已過期，請重新輸入。", e_missing_field: "請填寫{f}。",
      e_field_too_long: "{f}太長了。", e_invalid_field: "{f}格式不正確。",
      e_identity_invalid: "登入狀態已失效，請重新整理頁面後再試。", e_origin_not_allowed: "本網站未獲准使用評論服務。",
      e_rate_limited: "操作太頻繁，請稍後再試。", e_rate_wait: "操作太頻繁，請 {n} 秒後再試。", e_already_reported: "您已經檢舉過這則評論。",
      e_comment_not_found: "評論不存在或已被刪除。", e_payload_too_large: "內容太長了。",
      e_network: "網路連線失敗，請檢查網路後再試。", e_service_unavailable: "服務暫時無法使用，請稍後再試。",
      e_banned: "您暫時不能發表評論。", e_other: "發生錯誤，請稍後再試。",
      signin: "登入", signup: "註冊", signout: "登出", forgot: "忘記密碼", sendReset: "寄送重設郵件", delAcct: "刪除帳號",
      delAnon: "保留我的評論，匿名顯示", delErase: "同時刪除我的全部評論", delDone: "帳號已刪除。", needAcct: "登入後才能發表評論。",
      verifySent: "驗證郵件已寄出，請點擊郵件中的連結，然後登入。", resetSent: "如果該電子郵件已註冊，重設密碼的郵件已寄出。",
      resend: "重寄驗證郵件", notify: "有人回覆時寄信通知我", del: "刪除", delSure: "確認刪除", deleted: "評論已刪除。", gone: "已刪除的帳號",
      f_nickname: "暱稱", f_password: "密碼", e_email_unverified: "請先點擊驗證郵件中的連結，驗證您的電子郵件。",
      e_email_taken: "該電子郵件已註冊，請直接登入。", e_sign_in_failed: "電子郵件或密碼不正確。", e_session_invalid: "登入已過期，請重新登入。",
      e_login_locked: "登入失敗次數過多，請稍後再試。", e_account_required: "請登入後發表評論。", e_accounts_disabled: "本站未開放註冊。",
      e_mail_unavailable: "暫時無法寄送郵件，請稍後再試。",
      cut: "內容超過 {n} 字，多出的部分已刪去。", reportWho: "檢舉 {a} 的評論：{x}", reportedWho: "已檢舉 {a} 的評論：{x}",
      published: "已發佈"
    },
    en: {
      title: "Comments", count: "{n} in total", sort: "Sort", newest: "Newest", oldest: "Oldest", hot: "Top", nick: "Name",
      like: "Like", likes: "Like ({n} so far)", pinned: "Pinned", closed: "Comments are closed.",
      e_thread_closed: "This thread is closed to new comments.",
      email: "Email (optional, never shown)", text: "Your comment", ph: "Say something…", emoji: "Emoji",
      captcha: "Captcha", captchaImg: "Captcha image", refresh: "New captcha", audio: "Listen to the captcha",
      submit: "Post comment", busy: "Posting…", replyTo: "Replying to @{n}", cancelReply: "Cancel reply", verified: "Signed-in reader", erased: "Removed at its author's request",
      reply: "Reply", report: "Report", reported: "Reported", signedAs: "Posting as {n}",
      pending: "Awaiting moderation", held: "Waiting for a moderator", rejected: "Not published",
      pendingNote: "Your comment was received; it appears once approved.",
      heldNote: "A moderator will look at your comment.", publishedNote: "Your comment is published.",
      rejectedNote: "Sorry, your comment was not published.", dismiss: "Dismiss", more: "Load more",
      loading: "Loading…", empty: "No comments yet. Be the first.", loadError: "Could not load the comments.",
      retry: "Retry", now: "just now", min: "{n} min ago", hour: "{n} h ago", day: "{n} d ago",
      why: "Why are you reporting this?", spam: "Spam or ads", abuse: "Abuse", other: "Other",
      details: "Details (optional)", send: "Send report", cancel: "Cancel",
      thanks: "Thank you, we received your report.", playing: "Playing the spoken captcha.", chars: "Characters",
      f_author: "your name", f_text: "your comment", f_email: "your email", f_captcha_answer: "the captcha",
      f_reason: "a reason", e_captcha_invalid: "The captcha is wrong or expired. Please try again.",
      e_missing_field: "Please fill in {f}.", e_field_too_long: "{f} is too long.", e_invalid_field: "{f} is not valid.",
      e_identity_invalid: "Your sign-in has expired. Reload the page and try again.",
      e_origin_not_allowed: "This site is not allowed to use the comment service.",
      e_rate_limited: "Too many requests. Please try again later.",
      e_rate_wait: "Too many requests. Please try again in {n} s.", e_already_reported: "You already reported this comment.",
      e_comment_not_found: "This comment no longer exists.", e_payload_too_large: "That is too long.",
      e_network: "Network error. Check your connection and try again.",
      e_service_unavailable: "The service is unavailable. Please try again later.",
      e_banned: "You cannot comment right now.", e_other: "Something went wrong. Please try again later.",
      signin: "Sign in", signup: "Sign up", signout: "Sign out", forgot: "Forgot password", sendReset: "Send reset mail",
      delAcct: "Delete account", delAnon: "Keep my comments, anonymised", delErase: "Delete all my comments too",
      delDone: "Your account is deleted.", needAcct: "Sign in to comment.",
      verifySent: "We mailed you a link: open it to verify your email, then sign in.",
      resetSent: "If the email has an account, a reset mail is on its way.", resend: "Send the verification mail again",
      notify: "Email me when someone replies", del: "Delete", delSure: "Really delete", deleted: "Comment deleted.",
      gone: "Deleted account", f_nickname: "your name", f_password: "your password",
      e_email_unverified: "Verify your email first: open the link we mailed you.",
      e_email_taken: "This email has an account; sign in instead.", e_sign_in_failed: "The email or the password is wrong.",
      e_session_invalid: "Your sign-in has expired; sign in again.", e_login_locked: "Too many failed sign-ins; try again later.",
      e_account_required: "Sign in to comment.", e_accounts_disabled: "This site has no accounts.",
      e_mail_unavailable: "Mail cannot be sent right now; try again later.",
      cut: "Over {n} characters: the rest was cut.", reportWho: "Report {a}’s comment: {x}",
      reportedWho: "Reported {a}’s comment: {x}", published: "Published"
    }
  };
  // Emoticons: [emoji, zh-CN name, zh-TW name, English name]; the names are also the classic [代码] codes.
  var EMO = [
    ["🙂", "微笑", "微笑", "smile"], ["😄", "大笑", "大笑", "grin"], ["😂", "哈哈", "哈哈", "laugh"],
    ["🤭", "偷笑", "偷笑", "giggle"], ["😊", "可爱", "可愛", "cute"], ["😍", "色", "色", "love"],
    ["😎", "酷", "酷", "cool"], ["🤔", "疑问", "疑問", "hmm"], ["😮", "惊讶", "驚訝", "wow"],
    ["😢", "伤心", "傷心", "sad"], ["😭", "流泪", "流淚", "cry"], ["😠", "怒", "怒", "angry"],
    ["😵", "晕", "暈", "dizzy"], ["🤗", "抱抱", "抱抱", "hug"], ["🤦", "捂脸", "摀臉", "facepalm"],
    ["👍", "赞", "讚", "thumbs up"], ["👎", "踩", "踩", "thumbs down"], ["👏", "鼓掌", "鼓掌", "clap"],
    ["🤝", "握手", "握手", "handshake"], ["💪", "加油", "加油", "strong"], ["🙏", "祈祷", "祈禱", "pray"],
    ["❤️", "爱心", "愛心", "heart"], ["🌹", "玫瑰", "玫瑰", "rose"], ["🍉", "吃瓜", "吃瓜", "melon"],
    ["👋", "再见", "再見", "bye"], ["🎉", "庆祝", "慶祝", "party"]
  ];
  var CODES = {};
  EMO.forEach(function (e) { CODES[e[1]] = CODES[e[2]] = e[0]; });
  CODES["强"] = CODES["強"] = "💪"; CODES["哭"] = "😭"; CODES["心"] = "❤️";

  var sheet = null;
  var widgets = [];

  function h(tag, props, kids) {
    var e = document.createElement(tag);
    for (var k in props || {}) {
      var v = props[k];
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k === "cls" ? "class" : k, v === true ? "" : v);
    }
    (kids || []).forEach(function (c) {
      if (c != null && c !== false) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function fmt(s, n) { return String(s).replace("{n}", n); }

  // Characters as the service counts them (code points): an emoji is one, not two UTF-16 units.
  function chars(s) { return Array.from(s).length; }

  // "举报 老张 的评论：第一条评论…": a report button names the comment it reports.
  function about(s, c) {
    var x = Array.from(c.text || "");
    return String(s).replace("{a}", c.author).replace("{x}", x.slice(0, 20).join("") + (x.length > 20 ? "…" : ""));
  }

  // Comment text as DOM nodes, never parsed as HTML: http(s) URLs become links, [代码] emoji, and @name of the
  // comment answered (`to`: {id, author}) a link to it; everything else is text.
  var TOKEN = /(https?:\/\/[^\s<>"'`\\^{|}，。！？；：、（）【】《》「」“”‘’\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+)|\[([^\[\]\s]{1,8})\]|@/gi;
  function rich(text, to, jump, domains) {
    var f = document.createDocumentFragment(), re = new RegExp(TOKEN.source, "gi"), last = 0, m, s, n;
    while ((m = re.exec(text))) {
      s = m[0]; n = null;
      if (m[1]) n = link(s = s.replace(/[.,;:!?)\]'*~_-]+$/, ""), domains);
      else if (m[2]) n = CODES[m[2]] && h("span", { cls: "e", title: s, role: "img", "aria-label": m[2], text: CODES[m[2]] });
      else if (to && to.id && text.substr(m.index + 1, to.author.length) === to.author) {
        s = "@" + to.author;
        n = h("a", { href: "#", cls: "at", text: s, onclick: function (ev) { ev.preventDefault(); jump(to.id); } });
      }
      if (!n) continue;
      f.appendChild(document.createTextNode(text.slice(last, m.index)));
      f.appendChild(n);
      re.lastIndex = last = m.index + s.length;
    }
    f.appendChild(document.createTextNode(text.slice(last)));
    return f;
  }

  // Only http and https; the site's own domains (and the page's) are followed, others get nofollow.
  function link(raw, domains) {
    var u;
    try { u = new URL(raw); } catch (e) { return null; }
    // No user:password@ part: "https://bank.example@evil.example" shows one host and goes to another.
    if (!/^https?:$/.test(u.protocol) || !u.hostname || u.username || u.password) return null;
    var host = u.hostname.replace(/^www\./, ""), own = domains.concat(location.hostname.replace(/^www\./, "")).some(function (d) {
      d = String(d).toLowerCase().replace(/^www\./, "");
      return d && (host === d || host.slice(-d.length - 1) === "." + d);
    });
    // A host in other scripts is shown as the browser reads it (punycode), so a look-alike cannot pose as another.
    return h("a", { href: u.href, rel: own ? "ugc noopener" : "nofollow ugc noopener", target: "_blank",
      text: /^[\x21-\x7e]*$/.test(raw) ? raw : u.href });
  }

  // An identicon from the avatar digits the API gives (service/avatars.py draws the same picture).
  function avatar(d) {
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), hue = parseInt(d.slice(0, 3), 16) % 360,
      bits = parseInt(d.slice(3, 7), 16);
    function rect(x, y, w, fill) {
      var r = document.createElementNS(NS, "rect");
      [["x", x], ["y", y], ["width", w], ["height", w], ["fill", fill]].forEach(function (a) { r.setAttribute(a[0], a[1]); });
      svg.appendChild(r);
    }
    svg.setAttribute("viewBox", "0 0 7 7"); svg.setAttribute("class", "av"); svg.setAttribute("aria-hidden", "true");
    rect(0, 0, 7, "hsl(" + hue + ",45%,92%)");
    for (var i = 0, fg = "hsl(" + hue + ",55%,45%)"; i < 15; i++) {
      if (!(bits >> (15 - i) & 1)) continue;
      var col = Math.floor(i / 5), row = i % 5 + 1;
      rect(col + 1, row, 1, fg);
      if (col < 2) rect(5 - col, row, 1, fg);
    }
    return svg;
  }

  function detectLang(el) {
    var holder = el.closest("[lang]");
    var l = (el.getAttribute("data-moderato-lang") || (holder && holder.getAttribute("lang")) || navigator.language || "zh-CN").toLowerCase();
    if (/^en/.test(l)) return "en";
    if (/^zh-(tw|hk|mo|hant)/.test(l)) return "zh-TW";
    return "zh-CN";
  }

  // Follow the page: an explicit attribute, else the first opaque background up the tree, else color-scheme.
  function detectDark(el) {
    var a = el.getAttribute("data-moderato-theme");
    if (a === "dark" || a === "light") return a === "dark";
    for (var n = el; n && n.nodeType === 1; n = n.parentElement) {
      var m = (getComputedStyle(n).backgroundColor || "").match(/[\d.]+/g);
      if (m && (m.length < 4 || +m[3] > 0.5)) return 0.299 * m[0] + 0.587 * m[1] + 0.114 * m[2] < 128;
    }
    var cs = getComputedStyle(document.documentElement).colorScheme || "";
    return /dark/.test(cs) && (!/light/.test(cs) || matchMedia("(prefers-color-scheme: dark)").matches);
  }

  function decodeUser(token) {
    try {
      var p = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      var bin = atob(p + "===".slice((p.length + 3) % 4)), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      var claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && claims.name ? { name: String(claims.name) } : null;
    } catch (e) { return null; }
  }

  function ago(iso, t) {
    var d = new Date(iso), s = (Date.now() - d.getTime()) / 1000;
    if (s < 60) return t.now;
    if (s < 3600) return fmt(t.min, Math.floor(s / 60));
    if (s < 86400) return fmt(t.hour, Math.floor(s / 3600));
    if (s < 86400 * 30) return fmt(t.day, Math.floor(s / 86400));
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }

  function stylize(root) {
    if (CSS.indexOf("__MODERATO") !== 0 && "adoptedStyleSheets" in root && "replaceSync" in CSSStyleSheet.prototype) {
      // A constructed stylesheet: no <style> element, so a strict style-src on the host page does not apply.
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(h("link", { rel: "stylesheet", href: BASE + "/embed.css" }));
    }
  }

  function Widget(el) {
    var S = {
      thread: el.getAttribute("data-moderato-thread") || location.pathname,
      site: el.getAttribute("data-moderato-site") || "",
      title: el.getAttribute("data-moderato-title") || document.title,
      token: el.getAttribute("data-moderato-user-token") || "",
      max: +el.getAttribute("data-moderato-max-length") || 2000,
      order: /^(oldest|hot)$/.test(el.getAttribute("data-moderato-order")) ? el.getAttribute("data-moderato-order") : "newest",
      comments: [], next: null, done: false, total: 0, shown: PAGE, failed: false, loading: true,
      replyTo: null, captcha: null, busy: false, mine: [], pollStep: 0, pollTimer: 0, reported: {}, closed: false,
      domains: [], liked: {}, rt: "", own: {}, replyBtn: null
    };
    S.user = S.token ? decodeUser(S.token) : null;
    var key = "moderato:" + BASE + "|" + (S.site || "default") + "|" + S.thread;
    var t, R = {}, root = el.attachShadow({ mode: "open" }), wrap = h("div");
    stylize(root);
    root.appendChild(wrap);

    function api(method, path, body, idem) {
      var url = BASE + path + (S.site ? (path.indexOf("?") < 0 ? "?" : "&") + "site=" + encodeURIComponent(S.site) : "");
      var opts = { method: method, credentials: "omit", headers: { Accept: "application/json" } };
      if (idem) opts.headers["Idempotency-Key"] = idem;
      if (S.sess) opts.headers["X-Moderato-Session"] = S.sess;
      if (body) {
        if (S.site) body.site = S.site;
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
      return fetch(url, opts).then(function (r) {
        if (!r.ok) return httpError(r).then(function (e) { throw e; });
        return r.json().catch(function () { return {}; });
      }, function () { var e = new Error("network"); e.code = "network"; throw e; });
    }

    // The error a refused request answers with: its code, field and how long to wait.
    function httpError(r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        var e = new Error("http " + r.status), d = j.error || {};
        e.code = d.code || (r.status >= 500 ? "service_unavailable" : "other");
        e.field = d.field;
        // A 429 says how long to wait, in its body and in Retry-After (exposed to this page by CORS).
        e.wait = d.retry_after || +r.headers.get("Retry-After") || 0;
        return e;
      });
    }

    function newKey() {
      var c = window.crypto;
      if (c && c.randomUUID) return c.randomUUID();
      var a = new Uint32Array(4);
      if (c && c.getRandomValues) c.getRandomValues(a); else for (var i = 0; i < 4; i++) a[i] = Math.random() * 4294967296;
      return Array.prototype.map.call(a, function (n) { return n.toString(36); }).join("-");
    }

    function errText(e) {
      var msg = e.code === "rate_limited" && e.wait > 0 ? fmt(t.e_rate_wait, e.wait) : t["e_" + e.code] || t.e_other;
      return msg.replace("{f}", t["f_" + e.field] || t.f_text);
    }

    function say(text) { R.live.textContent = ""; setTimeout(function () { R.live.textContent = text; }, 50); }

    function store() {
      try { localStorage.setItem(key, JSON.stringify(S.mine)); } catch (e) { /* private mode: memory only */ }
    }
    try { S.mine = JSON.parse(localStorage.getItem(key) || "[]") || []; } catch (e) { S.mine = []; }
    // Likes: the comments this browser liked (per site), and the signed token that names this guest (per service).
    var likedKey = "moderato:liked|" + BASE + "|" + (S.site || "default"), rtKey = "moderato:rt|" + BASE;
    try { S.liked = JSON.parse(localStorage.getItem(likedKey) || "{}") || {}; S.rt = localStorage.getItem(rtKey) || ""; } catch (e) { /* memory only */ }
    // The comments this browser reported, and the ones it wrote (per site): neither offers a report button again.
    var reportedKey = "moderato:reported|" + BASE + "|" + (S.site || "default"), ownKey = "moderato:own|" + BASE + "|" + (S.site || "default");
    try {
      S.reported = JSON.parse(localStorage.getItem(reportedKey) || "{}") || {};
      S.own = JSON.parse(localStorage.getItem(ownKey) || "{}") || {};
    } catch (e) { /* memory only */ }
    function keep(k, v) { try { if (v) localStorage.setItem(k, v); else localStorage.removeItem(k); } catch (e) { /* memory only */ } }
    // Keep the newest 500 ids of a set of comment ids (ids grow with time), and store it.
    function keepIds(k, set) {
      var ids = Object.keys(set).sort(function (a, b) { return a - b; });
      ids.slice(0, ids.length - 500).forEach(function (id) { delete set[id]; });
      keep(k, JSON.stringify(set));
    }

    // -- reading ---------------------------------------------------------------------------------------
    function fetchPage() {
      var q = "?limit=" + PAGE + "&order=" + S.order + (S.next ? "&after=" + S.next : "");
      var path = S.thread.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
      return api("GET", "/api/threads/" + path + "/comments" + q).then(function (p) {
        var seen = {};
        S.comments.forEach(function (c) { seen[c.id] = 1; });
        // A hot page follows a ranking that moves as readers like: a comment met twice is shown once.
        S.total = p.total; S.comments = S.comments.concat(p.comments.filter(function (c) { return !seen[c.id]; }));
        S.next = p.next; S.done = !p.next; S.domains = p.domains || []; setClosed(!!p.closed);
      }, function (e) {
        if (e.code !== "thread_not_found") throw e;
        S.total = 0; S.done = true;
      });
    }

    function load(focusId) {
      S.comments = []; S.next = null; S.done = false; S.loading = true; S.failed = false;
      drawList();
      return fetchPage().then(function () {
        S.loading = false; drawList(); drawHead();
        if (focusId) {
          var li = R.list.querySelector('[data-id="' + focusId + '"]');
          if (li) { li.classList.add("flash"); li.scrollIntoView({ block: "nearest" }); }
        }
      }, function () { S.loading = false; S.failed = true; drawList(); });
    }

    // The next page is added below the ones shown: nothing above it is rebuilt (open forms stay open).
    function more() {
      var need = S.shown + PAGE > S.comments.length && !S.done;
      R.more.disabled = true;
      (need ? fetchPage() : Promise.resolve()).then(function () {
        var first = S.shown, had = R.list.children.length;
        S.shown += PAGE;
        branch(R.list, S.comments.slice(first, S.shown), 0);
        drawMore();
        var li = R.list.children[had];
        if (li) { li.setAttribute("tabindex", "-1"); li.focus(); }
      }, function (e) { say(errText(e)); R.more.disabled = false; });
    }

    function setClosed(closed) {
      S.closed = closed;
      R.form.hidden = closed; R.closed.hidden = !closed;
    }

    function jump(id) {
      var li = root.querySelector('li.c[data-id="' + id + '"]');
      if (!li) return;
      li.classList.remove("flash"); void li.offsetWidth; li.classList.add("flash");
      li.setAttribute("tabindex", "-1"); li.focus(); li.scrollIntoView({ block: "nearest" });
    }

    function toggleLike(c, btn) {
      if (btn.disabled) return;
      btn.disabled = true;
      var on = !S.liked[c.id], body = {};
      if (S.token) body.user_token = S.token; else if (S.rt) body.reader_token = S.rt;
      api("POST", "/api/comments/" + c.id + (on ? "/like" : "/unlike"), body).then(function (r) {
        if (r.reader_token) keep(rtKey, S.rt = r.reader_token);
        c.likes = r.likes;
        if (r.liked) S.liked[c.id] = 1; else delete S.liked[c.id];
        var ids = Object.keys(S.liked);  // the newest 500 are enough to mark the buttons
        ids.slice(0, ids.length - 500).forEach(function (id) { delete S.liked[id]; });
        keep(likedKey, JSON.stringify(S.liked));
        paintLike(c, btn);
      }, function (e) {
        if (e.field === "reader_token") keep(rtKey, S.rt = "");
        var li = btn.closest("li"), msg = li.querySelector(":scope > .err") || li.appendChild(h("p", { cls: "err", role: "alert" }));
        msg.textContent = errText(e);
      }).then(function () { btn.disabled = false; });
    }

    function paintLike(c, btn) {
      btn.textContent = "👍 " + (c.likes || t.like);
      btn.setAttribute("aria-pressed", String(!!S.liked[c.id]));
      btn.setAttribute("aria-label", fmt(t.likes, c.likes || 0));
    }

    // `to`: the comment answered ({id, author}); `label`: say whom it answers (flattened and own replies).
    function item(c, to, own, label) {
      var time = h("time", { datetime: c.created_at, "data-ts": c.created_at, title: new Date(c.created_at).toLocaleString(),
        text: ago(c.created_at, t) });
      var text = h("div", { cls: "text" }, [label && to ? (to.id ? h("a", { href: "#", cls: "to", text: fmt(t.replyTo, to.author),
        onclick: function (ev) { ev.preventDefault(); jump(to.id); } }) : h("span", { cls: "to", text: fmt(t.replyTo, to.author) })) : null]);
      // A tombstone of an author's erased data (it keeps its place so that replies stay under it).
      text.appendChild(c.erased ? h("em", { text: t.erased }) : rich(c.text, to, jump, S.domains));
      var li = h("li", { cls: "c" + (own ? " own" : ""), "data-id": c.id }, [
        h("div", { cls: "meta" }, [c.avatar && /^[0-9a-f]{16}$/.test(c.avatar) ? avatar(c.avatar) : null,
          h("span", { cls: "author", text: c.author || (c.erased ? "" : t.gone) }),
          c.verified ? h("span", { cls: "verified", title: t.verified, "aria-label": t.verified, text: "✓" }) : null,
          c.pinned ? h("span", { cls: "badge pin", text: t.pinned }) : null,
          time, own ? own : null]), text
      ]);
      if (!own && !c.erased) {
        var box = h("div", { cls: "rbox", hidden: true });
        // The reader's own comments offer no report; a comment reported from this browser says so.
        var rep = S.own[c.id] ? null : h("button", { type: "button", cls: "link", text: S.reported[c.id] ? t.reported : t.report,
          "aria-label": about(S.reported[c.id] ? t.reportedWho : t.reportWho, c),
          disabled: !!S.reported[c.id], "aria-expanded": "false", onclick: function () { toggleReport(c, box, rep); } });
        var like = h("button", { type: "button", cls: "link like", onclick: function () { toggleLike(c, like); } });
        paintLike(c, like);
        var reply = S.closed ? null : h("button", { type: "button", cls: "link", text: t.reply, "aria-label": t.reply + " " + c.author,
          onclick: function () { replyTo(c, li, reply); } });
        li.appendChild(h("div", { cls: "acts" }, [like, reply, rep]));
        li.appendChild(box);
      }
      mineActs(c, li, own);
      return li;
    }

    // Two levels of nesting; replies below that are listed flat, each saying whom it answers.
    function branch(ul, nodes, depth, parent) {
      nodes.forEach(function (c) {
        var li = item(c, parent);
        ul.appendChild(li);
        if (!c.replies || !c.replies.length) return;
        if (depth < 2) {
          var sub = h("ul", { cls: "replies" });
          branch(sub, c.replies, depth + 1, c);
          li.appendChild(sub);
        } else {
          flat(c).forEach(function (p) {
            var f = item(p[0], p[1], null, true);
            f.setAttribute("data-under", c.id);  // the nested comment whose flat run it belongs to
            ul.appendChild(f);
          });
        }
      });
    }

    function flat(c) {
      var out = [];
      (function walk(n) { n.replies.forEach(function (r) { out.push([r, n]); walk(r); }); })(c);
      return out.sort(function (a, b) { return a[0].id - b[0].id; });
    }

    function drawHead() {
      R.count.textContent = fmt(t.count, S.total);
      R.newest.setAttribute("aria-pressed", String(S.order === "newest"));
      R.oldest.setAttribute("aria-pressed", String(S.order === "oldest"));
      R.hot.setAttribute("aria-pressed", String(S.order === "hot"));
    }

    function drawList() {
      if (S.replyTo && R.list.contains(R.form)) { S.replyTo = null; drawReply(); }
      R.list.textContent = "";
      R.list.setAttribute("aria-busy", String(S.loading));
      R.empty.hidden = true; R.more.hidden = true; R.fail.hidden = !S.failed;
      if (S.loading) { R.empty.hidden = false; R.empty.textContent = t.loading; return; }
      branch(R.list, S.comments.slice(0, S.shown), 0);
      drawMore();
    }

    function drawMore() {
      R.empty.hidden = S.failed || S.comments.length > 0;
      R.empty.textContent = t.empty;
      R.more.hidden = S.shown >= S.comments.length && S.done;
      R.more.disabled = false;
    }

    function find(nodes, id) {
      for (var i = 0; i < nodes.length; i++) {
        if (nodes[i].id === id) return nodes[i];
        var r = find(nodes[i].replies || [], id);
        if (r) return r;
      }
      return null;
    }

    // The reader's comment was published: add that one item where it belongs, and touch nothing else, so
    // open forms, loaded pages, the scroll position and focus stay. False when its place is not on the page
    // (an oldest-first list not read to its end, a parent no longer shown): it stays in "mine", published.
    function publish(m) {
      var c = { id: m.id, parent: m.parentId || null, author: m.author, text: m.text, created_at: m.at,
        verified: !!S.user, replies: [], likes: 0 }, li;
      if (m.parentId) {
        var pc = find(S.comments, m.parentId), p = R.list.querySelector('li.c[data-id="' + m.parentId + '"]');
        if (!pc || !p) return false;
        pc.replies.push(c);
        var depth = 0;
        for (var n = p.parentNode; n && n !== R.list; n = n.parentNode) if (n.matches && n.matches("ul.replies")) depth++;
        if (depth < 2) {
          var sub = p.querySelector(":scope > ul.replies") || p.appendChild(h("ul", { cls: "replies" }));
          sub.appendChild(li = item(c, pc));
        } else {  // below two levels: listed flat after the run of its nested ancestor, saying whom it answers
          var under = p.getAttribute("data-under") || String(pc.id), ul = p.parentNode;
          var run = ul.querySelectorAll(':scope > li[data-under="' + under + '"]');
          var after = run.length ? run[run.length - 1] : ul.querySelector(':scope > li[data-id="' + under + '"]');
          li = item(c, { id: pc.id, author: pc.author }, null, true);
          li.setAttribute("data-under", under);
          after.parentNode.insertBefore(li, after.nextSibling);
        }
      } else if (S.order === "oldest") {
        if (!S.done || S.shown < S.comments.length) return false;
        S.comments.push(c); S.shown++;
        R.list.appendChild(li = item(c));
      } else {  // newest and hot: first after the pinned comments
        var at = 0;
        while (at < S.comments.length && S.comments[at].pinned) at++;
        S.comments.splice(at, 0, c); S.shown++;
        R.list.insertBefore(li = item(c), R.list.children[at] || null);
      }
      li.classList.add("flash");
      S.total++; drawHead(); drawMore();
      return true;
    }

    function setOrder(order) {
      if (S.order === order) return;
      S.order = order; S.shown = PAGE; drawHead(); load();
    }

    // -- own comments awaiting moderation ------------------------------------------------------------------
    function drawMine() {
      R.mine.textContent = "";
      S.mine.forEach(function (m) {
        var bad = m.status === "rejected" || m.status === "deleted";
        var badge = h("span", { cls: "badge" + (bad ? " bad" : ""),
          text: bad ? t.rejected : m.status === "approved" ? t.published : m.status === "held" ? t.held : t.pending });
        var li = item({ id: m.id, author: m.author, text: m.text, created_at: m.at },
          m.parentName ? { id: m.parentId, author: m.parentName } : null, badge, true);
        if (bad || m.status === "approved") {
          // The service's one sentence in the reader's language (the kind of problem, never the matched word).
          if (bad) li.appendChild(h("p", { cls: "meta", text: (m.reasons && m.reasons.length) ? m.reasons.join(" ") : t.rejectedNote }));
          li.appendChild(h("button", { type: "button", cls: "link", text: t.dismiss, onclick: function () {
            S.mine = S.mine.filter(function (x) { return x.id !== m.id; }); store(); drawMine(); R.text.focus();
          } }));
        }
        R.mine.appendChild(li);
      });
    }

    // Run a change above the reader's eyes without moving what they look at: the focused element (or the
    // first comment in view) stays where it was on the screen.
    function steady(change) {
      var a = root.activeElement, y;
      if (!a || a === R.form || !a.getBoundingClientRect) {
        a = [].filter.call(R.list.querySelectorAll("li.c"), function (li) { return li.getBoundingClientRect().top >= 0; })[0];
      }
      if (a) y = a.getBoundingClientRect().top;
      change();
      if (a && a.isConnected) {
        var d = a.getBoundingClientRect().top - y;
        if (Math.abs(d) >= 1) window.scrollBy(0, d);
      }
    }

    function poll() {
      clearTimeout(S.pollTimer);
      var waiting = S.mine.filter(function (m) { return m.status === "pending" || m.status === "held"; });
      if (!waiting.length) return;
      var held = waiting.every(function (m) { return m.status === "held"; });
      var delay = held ? 60000 : POLL[Math.min(S.pollStep++, POLL.length - 1)];
      S.pollTimer = setTimeout(function () {
        if (document.hidden) return poll();
        Promise.all(waiting.map(check)).then(poll, poll);
      }, delay);
    }

    function check(m) {
      return api("GET", "/api/comments/" + m.id + "?token=" + encodeURIComponent(m.token) + "&lang=" + S.lang).then(function (r) {
        if (r.status === m.status) return;
        m.status = r.status; m.reasons = r.reasons || [];
        steady(function () {
          if (r.status === "approved") {
            if (publish(m)) S.mine = S.mine.filter(function (x) { return x.id !== m.id; });
            say(t.publishedNote);
          } else if (r.status === "held") {
            say(t.heldNote);
          } else {
            say(t.rejectedNote);
          }
          // "Submitted, shown once approved" is no longer the news once a decision came.
          if (!S.mine.some(function (x) { return x.status === "pending"; })) R.note.hidden = true;
          store(); drawMine();
        });
      }, function (e) {
        if (e.code === "comment_not_found") {
          S.mine = S.mine.filter(function (x) { return x.id !== m.id; }); store(); drawMine();
        }
      });
    }

    // -- writing ---------------------------------------------------------------------------------------
    function newCaptcha() {
      R.capAnswer.value = "";
      return api("GET", "/api/captcha" + (S.user || S.acct ? "?signed_in=1" : "")).then(function (c) {
        S.captcha = c;
        // The site's policy may spare this reader the captcha (signed in, or a site that never asks).
        R.capBox.hidden = R.capLabel.hidden = c.required === false;
        if (c.required === false) return;
        R.capImg.src = c.image; // a data: URL made by the service
        R.capImg.setAttribute("data-captcha-id", c.id);
      }, function (e) { showError(e); });
    }

    function wantCaptcha() { if (!S.captcha) { S.captcha = {}; newCaptcha(); } }

    function playAudio() {
      if (!S.captcha || !S.captcha.audio) return;
      var url = BASE + S.captcha.audio;
      new Audio(url).play().then(function () { say(t.playing); }, function () {
        // A media element tells no status: ask once more, so that a refusal (too many audio captchas, 429,
        // which counts nothing) is told with its wait, not as a network fault.
        fetch(url, { credentials: "omit" }).then(function (r) {
          return r.ok ? { code: "network" } : httpError(r);
        }, function () { return { code: "network" }; }).then(showError);
      });
    }

    // The form moves under the comment answered (after its actions and report box), and home again after.
    function replyTo(c, li, btn) {
      S.replyTo = { id: c.id, author: c.author };
      S.replyBtn = btn;
      var box = li.querySelector(":scope > .rbox");
      li.insertBefore(R.form, box ? box.nextSibling : li.querySelector(":scope > ul.replies"));
      R.form.classList.add("inline");
      drawReply();
      R.text.focus();
    }

    function cancelReply() {
      var btn = S.replyBtn;
      S.replyTo = null; drawReply();
      if (btn && btn.isConnected) btn.focus(); else R.text.focus();
    }

    function drawReply() {
      R.replying.hidden = !S.replyTo;
      R.replyLabel.textContent = S.replyTo ? fmt(t.replyTo, S.replyTo.author) : "";
      if (!S.replyTo && R.form.parentNode !== wrap) {
        R.form.classList.remove("inline");
        wrap.insertBefore(R.form, R.closed);
        S.replyBtn = null;
      }
    }

    // The service counts characters (code points): so does the counter, and a paste past the limit is cut
    // between characters, with a word to say so (the textarea's maxlength would count UTF-16 units).
    function count() {
      var v = R.text.value, n = chars(v);
      if (n > S.max) {
        R.text.value = Array.from(v).slice(0, S.max).join("");
        n = S.max;
        R.cut.textContent = fmt(t.cut, S.max); R.cut.hidden = false;
        say(R.cut.textContent);
      } else if (n < S.max) {
        R.cut.hidden = true;
      }
      R.counter.textContent = n + "/" + S.max;
      R.counter.className = "counter" + (n > S.max * 0.9 ? " near" : "");
    }

    function insertEmoji(e) {
      var ta = R.text, s = ta.selectionStart, v = ta.value;
      if (chars(v) - chars(v.slice(s, ta.selectionEnd)) + chars(e) > S.max) return;
      ta.value = v.slice(0, s) + e + v.slice(ta.selectionEnd);
      ta.selectionStart = ta.selectionEnd = s + e.length;
      count();
    }

    function toggleEmoji(open) {
      var show = open === undefined ? R.emo.hidden : open;
      R.emo.hidden = !show;
      R.emoBtn.setAttribute("aria-expanded", String(show));
      if (show) R.emo.querySelector("button[tabindex='0']").focus();
    }

    // One Tab stop: the arrow keys (and Home, End) move through the emoji, row by row as they are laid out.
    function emoKey(ev) {
      if (ev.key === "Escape") { toggleEmoji(false); R.emoBtn.focus(); return; }
      var bs = [].slice.call(R.emo.querySelectorAll("button")), i = bs.indexOf(ev.target);
      if (i < 0) return;
      var cols = bs.filter(function (b) { return b.offsetTop === bs[0].offsetTop; }).length || 1;
      var j = { ArrowRight: i + 1, ArrowLeft: i - 1, ArrowDown: i + cols, ArrowUp: i - cols, Home: 0, End: bs.length - 1 }[ev.key];
      if (j === undefined) return;
      ev.preventDefault();
      rove(bs[Math.max(0, Math.min(bs.length - 1, j))]).focus();
    }

    function rove(b) {
      R.emo.querySelectorAll("button[tabindex='0']").forEach(function (x) { x.tabIndex = -1; });
      b.tabIndex = 0;
      return b;
    }

    function showError(e, field) {
      R.err.textContent = errText(e);
      R.err.hidden = false;
      var input = field || { author: R.author, text: R.text, email: R.email, captcha_answer: R.capAnswer }[e.field] ||
        (e.code === "captcha_invalid" ? R.capAnswer : null);
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }

    function clearError() {
      R.err.hidden = true;
      [R.author, R.text, R.email, R.capAnswer].forEach(function (i) { if (i) i.removeAttribute("aria-invalid"); });
    }

    function setBusy(busy) {
      S.busy = busy;
      R.submit.disabled = busy;
      R.submit.setAttribute("aria-busy", String(busy));
      R.submit.textContent = busy ? t.busy : t.submit;
    }

    function submit(ev) {
      ev.preventDefault();
      if (S.busy) return;
      clearError();
      var text = R.text.value.trim();
      var missing = R.author && !R.author.value.trim() ? ["author", R.author] : !text ? ["text", R.text] :
        !R.capBox.hidden && !R.capAnswer.value.trim() ? ["captcha_answer", R.capAnswer] : null;
      if (missing) return showError({ code: "missing_field", field: missing[0] }, missing[1]);
      var body = { thread: S.thread, thread_title: S.title, text: text, captcha_id: S.captcha && S.captcha.id,
        captcha_answer: R.capAnswer.value.trim() };
      if (S.user) body.user_token = S.token;
      else if (R.author) { body.author = R.author.value.trim(); if (R.email.value.trim()) body.email = R.email.value.trim(); }
      if (R.notify && R.notify.checked) { body.notify_replies = true; body.lang = S.lang; }
      if (S.replyTo) body.parent = S.replyTo.id;
      // One key per submission, kept while it is retried unchanged (a new captcha aside): a retry after a
      // lost answer gets the first answer, not a second comment.
      var sig = JSON.stringify([body.thread, body.text, body.author, body.email, body.parent, S.token]);
      if (!S.idem || S.idem.sig !== sig) S.idem = { sig: sig, key: newKey() };
      setBusy(true);
      api("POST", "/api/comments", body, S.idem.key).then(function (r) {
        S.idem = null;
        S.own[r.id] = 1; keepIds(ownKey, S.own);
        S.mine.unshift({ id: r.id, token: r.token, author: S.user ? S.user.name : S.acct ? S.acct.nickname : body.author, text: text,
          parentName: S.replyTo && S.replyTo.author, parentId: S.replyTo && S.replyTo.id, at: new Date().toISOString(), status: r.status || "pending" });
        store(); drawMine();
        R.text.value = ""; count();
        if (S.replyTo) { S.replyTo = null; drawReply(); R.text.focus(); }
        R.note.hidden = false; R.note.textContent = t.pendingNote;
        say(t.pendingNote);
        S.pollStep = 0; poll();
        newCaptcha();
      }, function (e) {
        showError(e);
        if (e.code === "thread_closed") return setClosed(true);
        if (!/^(missing_field|field_too_long|invalid_field|identity_invalid)$/.test(e.code)) {
          newCaptcha().then(function () { if (e.code === "captcha_invalid") R.capAnswer.focus(); });
        }
      }).then(function () { setBusy(false); });
    }

    // -- reporting -------------------------------------------------------------------------------------
    function toggleReport(c, box, btn) {
      if (!box.hidden) { box.hidden = true; box.textContent = ""; btn.setAttribute("aria-expanded", "false"); btn.focus(); return; }
      var name = "r" + c.id, radios = ["spam", "abuse", "other"].map(function (r, i) {
        return h("label", {}, [h("input", { type: "radio", name: name, value: r, checked: i === 0 }), t[r]]);
      });
      var detail = h("textarea", { id: "rt" + c.id, maxlength: "500", rows: "2" });
      var msg = h("p", { cls: "err", role: "alert", hidden: true });
      var send = h("button", { type: "submit", cls: "submit small", text: t.send });
      var form = h("form", { cls: "report", onsubmit: function (ev) {
        ev.preventDefault();
        if (send.disabled) return;
        send.disabled = true;
        var reason = form.querySelector("input:checked").value, body = { reason: reason, text: detail.value.trim() };
        if (S.token) body.user_token = S.token;
        api("POST", "/api/comments/" + c.id + "/reports", body).then(function () { done(t.thanks); }, function (e) {
          if (e.code === "already_reported") return done(errText(e));
          msg.textContent = errText(e); msg.hidden = false; send.disabled = false;
        });
      } }, [
        h("fieldset", {}, [h("legend", { text: t.why })].concat(radios)),
        h("label", { "for": "rt" + c.id, text: t.details }), detail, msg, send, " ",
        h("button", { type: "button", cls: "link", text: t.cancel, onclick: function () { toggleReport(c, box, btn); } })
      ]);
      function done(text) {
        S.reported[c.id] = 1; keepIds(reportedKey, S.reported);
        btn.setAttribute("aria-label", about(t.reportedWho, c));
        box.textContent = "";
        box.appendChild(h("p", { cls: "note", role: "status", text: text }));
        btn.textContent = t.reported; btn.disabled = true; btn.setAttribute("aria-expanded", "false");
        say(text);
      }
      box.appendChild(form);
      box.hidden = false;
      btn.setAttribute("aria-expanded", "true");
      form.querySelector("input").focus();
    }

    // -- reader accounts (service/readers/): the session token lives in this origin's storage and travels in
    // the X-Moderato-Session header, never as a cookie; sign in, sign up, reset, sign out, delete ----------------
    var sessKey = "moderato:session|" + BASE + "|" + (S.site || "default");
    S.mode = "guests"; S.acct = null; S.panel = ""; S.anote = "";
    try { S.sess = localStorage.getItem(sessKey) || ""; } catch (e) { S.sess = ""; }

    function setSession(tok, reader) {
      S.sess = tok || ""; S.acct = reader || null; keep(sessKey, S.sess);
      S.captcha = null; render(); drawList();
    }

    function loadAccount() {
      if (S.user) return;
      api("GET", "/api/readers/me").then(function (r) {
        S.mode = r.accounts; S.acct = r.reader;
        if (S.mode !== "guests") { render(); drawList(); }
      }, function (e) { if (e.code === "session_invalid") { setSession(""); loadAccount(); } });
    }

    function notifyBox() {
      if (S.user || (!S.acct && S.mode === "accounts")) return null;
      R.notify = h("input", { type: "checkbox", id: "m-notify" });
      return h("label", { cls: "notify", "for": "m-notify" }, [R.notify, " " + t.notify]);
    }

    function acctBox() {
      if (S.user || S.mode === "guests") return null;
      var box = h("div", { cls: "acct" }), msg = h("p", { cls: "err", role: "alert", hidden: true });
      function btn(text, fn) { return h("button", { type: "button", cls: "link", text: text, onclick: fn }); }
      function open(p) { S.panel = S.panel === p ? "" : p; S.anote = ""; render(); var i = root.querySelector(".apanel input"); if (i) i.focus(); }
      box.appendChild(S.acct ? h("p", { cls: "signed" }, [fmt(t.signedAs, S.acct.nickname), " ",
        btn(t.signout, function () { api("POST", "/api/readers/signout", {}).catch(function () {}); setSession(""); }),
        btn(t.delAcct, function () { open("del"); })]) :
        h("p", { cls: "signed" }, [S.mode === "accounts" ? t.needAcct + " " : "", btn(t.signin, function () { open("in"); }),
          btn(t.signup, function () { open("up"); }), btn(t.forgot, function () { open("forgot"); })]));
      if (S.anote) box.appendChild(h("p", { cls: "note", role: "status", text: S.anote }));
      var names = { "in": ["email", "password"], up: ["nickname", "email", "password"], forgot: ["email"], del: ["password"] }[S.panel];
      if (!names || !S.acct !== (S.panel !== "del")) return box;
      var inputs = {}, choice = null, rows = names.map(function (n) {
        inputs[n] = h("input", { id: "m-a-" + n, name: n, type: n === "nickname" ? "text" : n, maxlength: n === "nickname" ? "40" : "200",
          autocomplete: n === "password" ? (S.panel === "up" ? "new-password" : "current-password") : n, required: true });
        return h("div", {}, [h("label", { "for": "m-a-" + n, text: t["f_" + n] }), inputs[n]]);
      });
      if (S.panel === "del") rows.push(choice = h("select", { "aria-label": t.delAcct },
        [h("option", { value: "anonymise", text: t.delAnon }), h("option", { value: "erase", text: t.delErase })]));
      var label = { "in": t.signin, up: t.signup, forgot: t.sendReset, del: t.delAcct }[S.panel];
      var send = h("button", { type: "submit", cls: "submit small", text: label });
      box.appendChild(h("form", { cls: "apanel", novalidate: true, onsubmit: function (ev) {
        ev.preventDefault(); msg.hidden = true; send.disabled = true;
        var panel = S.panel, body = { lang: S.lang };
        names.forEach(function (n) { body[n] = n === "password" ? inputs[n].value : inputs[n].value.trim(); });
        if (choice) body.comments = choice.value;
        var path = { "in": "signin", up: "register", forgot: "password-reset", del: "me/delete" }[panel];
        api("POST", "/api/readers/" + path, body).then(function (r) {
          S.panel = panel === "up" ? "in" : "";
          S.anote = { up: t.verifySent, forgot: t.resetSent, del: t.delDone }[panel] || "";
          if (panel === "in") return setSession(r.session, r.reader);
          if (panel === "del") { setSession(""); load(); } else render();
          say(S.anote);
        }, function (e) {
          send.disabled = false; msg.textContent = errText(e); msg.hidden = false;
          if (e.code === "email_unverified") msg.appendChild(btn(t.resend, function () {
            api("POST", "/api/readers/verification", { email: body.email }).then(function () { msg.textContent = t.verifySent; }, function (e2) { msg.textContent = errText(e2); });
          }));
        });
      } }, rows.concat([msg, send])));
      return box;
    }

    function mineActs(c, li, own) {
      if (own || c.erased || !S.acct || c.avatar !== S.acct.avatar) return;
      var b = h("button", { type: "button", cls: "link del", text: t.del, onclick: function () {
        if (b.textContent !== t.delSure) { b.textContent = t.delSure; return; }
        b.disabled = true;
        api("POST", "/api/comments/" + c.id + "/delete", {}).then(function () { say(t.deleted); load(); },
          function (e) { b.disabled = false; say(errText(e)); });
      } }), acts = li.querySelector(":scope > .acts");
      (acts || li.appendChild(h("div", { cls: "acts" }))).appendChild(b);
    }

    // -- building --------------------------------------------------------------------------------------
    function render() {
      var keep = R.text ? { a: R.author && R.author.value, e: R.email && R.email.value, x: R.text.value } : null;
      S.lang = detectLang(el);
      t = T[S.lang];
      wrap.textContent = "";
      wrap.className = "m" + (detectDark(el) ? " dark" : "");
      wrap.setAttribute("lang", S.lang);
      R.live = h("div", { cls: "sr", role: "status", "aria-live": "polite" });
      R.count = h("span", { cls: "count" });
      R.newest = h("button", { type: "button", text: t.newest, onclick: function () { setOrder("newest"); } });
      R.oldest = h("button", { type: "button", text: t.oldest, onclick: function () { setOrder("oldest"); } });
      R.hot = h("button", { type: "button", text: t.hot, onclick: function () { setOrder("hot"); } });
      var head = h("div", { cls: "head" }, [
        h("h2", {}, [t.title, R.count]),
        h("div", { cls: "sort", role: "group", "aria-label": t.sort }, [R.hot, R.newest, R.oldest])
      ]);
      R.replyLabel = h("span");
      R.replying = h("div", { cls: "replying", hidden: true }, [R.replyLabel, " ", h("button", { type: "button", cls: "link",
        text: t.cancelReply, onclick: cancelReply })]);
      var who = null;
      R.author = R.email = null;
      if (S.user) {
        who = h("p", { cls: "signed", text: fmt(t.signedAs, S.user.name) });
      } else if (!S.acct && S.mode !== "accounts") {
        R.author = h("input", { type: "text", id: "m-author", name: "author", maxlength: "40", autocomplete: "nickname", required: true });
        R.email = h("input", { type: "email", id: "m-email", name: "email", maxlength: "254", autocomplete: "email" });
        who = h("div", { cls: "row" }, [
          h("div", {}, [h("label", { "for": "m-author", text: t.nick }), R.author]),
          h("div", {}, [h("label", { "for": "m-email", text: t.email }), R.email])
        ]);
      }
      R.text = h("textarea", { id: "m-text", name: "text", placeholder: t.ph, required: true,
        "aria-describedby": "m-counter", oninput: count });
      R.cut = h("p", { cls: "cut", hidden: true });  // said once through the live region
      R.counter = h("span", { cls: "counter", id: "m-counter", "aria-label": t.chars });
      R.emo = h("div", { cls: "emo", id: "m-emo", role: "toolbar", "aria-label": t.emoji, hidden: true, onkeydown: emoKey },
        EMO.map(function (e, i) {
          var name = e[{ "zh-CN": 1, "zh-TW": 2, en: 3 }[S.lang]];
          var b = h("button", { type: "button", title: name, "aria-label": name, text: e[0], tabindex: i ? "-1" : "0",
            onclick: function () { rove(b); insertEmoji(e[0]); } });
          return b;
        }));
      R.emoBtn = h("button", { type: "button", cls: "link", "aria-expanded": "false", "aria-controls": "m-emo",
        text: "🙂 " + t.emoji, onclick: function () { toggleEmoji(); } });
      R.capImg = h("img", { alt: t.captchaImg, width: "150", height: "56" });
      R.capAnswer = h("input", { type: "text", id: "m-captcha", name: "captcha_answer", autocomplete: "off",
        autocapitalize: "off", spellcheck: "false", maxlength: "12", required: true });
      R.err = h("p", { cls: "err", role: "alert", hidden: true });
      R.note = h("p", { cls: "note", hidden: true });
      R.submit = h("button", { type: "submit", cls: "submit", text: t.submit });
      R.form = h("form", { cls: "post", novalidate: true, onsubmit: submit, onfocusin: wantCaptcha }, [
        R.replying, who, notifyBox(),
        h("label", { "for": "m-text", text: t.text }), R.text,
        h("div", { cls: "tools" }, [R.emoBtn, R.counter]), R.cut, R.emo,
        R.capLabel = h("label", { "for": "m-captcha", text: t.captcha }),
        R.capBox = h("div", { cls: "captcha" }, [R.capImg, R.capAnswer,
          h("button", { type: "button", cls: "link", text: t.refresh, onclick: newCaptcha }),
          h("button", { type: "button", cls: "link", text: t.audio, onclick: playAudio })]),
        R.err, R.note, R.submit
      ]);
      R.closed = h("p", { cls: "closed", role: "status", text: t.closed, hidden: true });
      R.mine = h("ul", { cls: "mine", "aria-label": t.pending });
      R.list = h("ul", { cls: "list", "aria-label": t.title });
      R.empty = h("p", { cls: "empty" });
      R.fail = h("p", { cls: "err", role: "alert", hidden: true }, [t.loadError + " ",
        h("button", { type: "button", cls: "link", text: t.retry, onclick: function () { load(); } })]);
      R.more = h("button", { type: "button", cls: "more", text: t.more, hidden: true, onclick: more });
      [R.live, head, acctBox(), R.form, R.closed, R.mine, R.fail, R.list, R.empty, R.more,
        h("div", { cls: "foot", text: "Moderato" })].forEach(function (n) { if (n) wrap.appendChild(n); });
      if (keep) { if (R.author) { R.author.value = keep.a || ""; R.email.value = keep.e || ""; } R.text.value = keep.x; }
      setClosed(S.closed); count(); drawReply(); drawHead(); drawMine(); drawList();
      if (S.captcha && S.captcha.id) { R.capImg.src = S.captcha.image; R.capImg.setAttribute("data-captcha-id", S.captcha.id); }
      if (S.captcha && S.captcha.required === false) R.capBox.hidden = R.capLabel.hidden = true;
      if ("IntersectionObserver" in window) {
        var io = new IntersectionObserver(function (es) { if (es[0].isIntersecting) { io.disconnect(); wantCaptcha(); } });
        io.observe(R.form);
      }
    }

    render();
    load();
    poll();
    loadAccount();
    return {
      el: el,
      restyle: function () {
        if (detectLang(el) !== S.lang) render();
        else wrap.className = "m" + (detectDark(el) ? " dark" : "");
      },
      tick: function () {
        root.querySelectorAll("time[data-ts]").forEach(function (n) { n.textContent = ago(n.getAttribute("data-ts"), t); });
      }
    };
  }

  function scan() {
    document.querySelectorAll("[data-moderato-thread]").forEach(function (el) {
      if (el.shadowRoot || el.hasAttribute("data-moderato-ready")) return;
      el.setAttribute("data-moderato-ready", "");
      widgets.push(Widget(el));
    });
    counts();
  }

  // <span data-moderato-count="/news/1.html"></span> on listing pages: one request for all of them.
  function counts() {
    var els = document.querySelectorAll("[data-moderato-count]:not([data-moderato-ready])");
    if (!els.length) return;
    var q = [].map.call(els, function (e) { e.setAttribute("data-moderato-ready", ""); return "thread=" + encodeURIComponent(e.getAttribute("data-moderato-count")); });
    fetch(BASE + "/api/threads/counts?" + q.join("&"), { credentials: "omit" }).then(function (r) { return r.json(); }).then(function (j) {
      [].forEach.call(els, function (e) {
        var k = "/" + e.getAttribute("data-moderato-count").replace(/^\/+/, "");
        e.textContent = String((j.counts || {})[k] || 0);
      });
    }, function () { /* counts are decoration */ });
  }

  function restyle() { widgets.forEach(function (w) { w.restyle(); }); }

  function start() {
    scan();
    var mo = new MutationObserver(restyle), opts = { attributes: true, attributeFilter: ["lang", "class", "style", "data-theme", "data-moderato-lang", "data-moderato-theme"] };
    mo.observe(document.documentElement, opts);
    if (document.body) mo.observe(document.body, opts);
    widgets.forEach(function (w) { mo.observe(w.el, opts); });
    if (window.matchMedia) matchMedia("(prefers-color-scheme: dark)").addEventListener("change", restyle);
    // The page's stylesheets may still be loading (an async script can run first): look again once they are.
    if (document.readyState !== "complete") window.addEventListener("load", restyle);
    setInterval(function () { widgets.forEach(function (w) { w.tick(); }); }, 60000);
  }

  window.Moderato = { version: "1", scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
