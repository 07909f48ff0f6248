// The agent workbench: a conversation in (pasted whole or turn by turn), intents, ready-to-send
// replies and the promise ledger out; the draft composed from suggestions and phrases and checked as it is typed.
"use strict";
(() => {
  const { api, el, debounce, copyText, highlighted, severityName, NETWORK_ERROR } = shouhou;
  const $ = (id) => document.getElementById(id);
  const MAX_MESSAGE = 2000;
  const MAX_CHAT = 20000;
  const KEEP_KEY = "shouhou.workbench.keep"; // what was typed, kept across a sign-in
  const labels = JSON.parse($("suggestions").dataset.labels || "{}");
  const signedIn = $("me").dataset.signedIn === "true";
  const message = $("message");
  const draft = $("draft");
  const layer = $("draft-highlight");
  const flagPop = $("flag-pop");
  const phrasePanel = $("phrases");
  const phraseQ = $("phrase-q");

  const kindNames = {
    carrier: "快递", ship_time: "发货时间", delivery: "到货时间", resend: "补发", refund: "退款",
    compensation: "补偿", gift: "赠品", invoice: "发票", other: "其他",
  };

  const state = {
    turns: [], // [{role: "buyer"|"agent", name, at, text}], oldest first
    ctx: {}, // variables the agent typed in the inline fields
    cards: [], // what Alt+1…3 insert: the combined reply (if any), then each suggestion
    promises: [], note: null,
    flags: [], lastChecked: null, checking: null,
    known: {}, // variables the last suggestions were filled with (the chat's order number…), for phrases
    missingNames: new Set(), // variables the last suggestions still lacked
    contradicted: new Set(), // turns whose promise the draft goes back on
    inDraft: new Set(), // suggestions put in the draft, for feedback when it is copied
    undo: [], nickname: $("me").dataset.nickname || null,
  };
  let gen = 0; // bumped by 新会话: an answer to an older conversation is dropped
  let askSeq = 0;
  let checkSeq = 0;

  // -- small helpers ----------------------------------------------------------------

  const cpLen = (s) => Array.from(s).length; // the server counts code points
  const cpToUnit = (s, cp) => Array.from(s).slice(0, cp).join("").length;
  const PLACEHOLDER = /【[^【】\n]{1,16}】/g;
  const placeholders = (text) => [...new Set(text.match(PLACEHOLDER) || [])];
  const shopKey = () => $("shop_key").value;
  const labelOf = (name) => labels[name] || name;

  function contextBody() {
    const out = {};
    for (const [k, v] of Object.entries(state.ctx)) if (v) out[k] = v;
    if (state.nickname && !out.agent_name) out.agent_name = state.nickname; // the server fills it too
    return out;
  }

  function turnsBody() {
    return state.turns.map((t) => {
      const turn = { role: t.role, text: t.text };
      if (t.name) turn.name = t.name;
      if (t.at) turn.at = t.at;
      return turn;
    });
  }

  const pendingBuyer = () => {
    const last = state.turns.length - 1;
    return last >= 0 && state.turns[last].role === "buyer";
  };
  const hasSomethingToAsk = () => Boolean(message.value.trim()) || pendingBuyer();

  // Why a request failed, in words an agent can act on.
  function explain(err) {
    if (err.network) return { text: NETWORK_ERROR };
    if (err.status === 401 || err.status === 403) {
      return { text: "登录已过期，请重新登录。已经输入的内容会保留。", login: true };
    }
    if (err.status === 413) return { text: "内容太长，服务器没有接收：请删减后重试。" };
    if (err.status === 429) return { text: "操作太频繁了，请稍等几秒再试。" };
    if (err.status >= 500) return { text: `服务器暂时出错了（${err.status}），请稍后重试。` };
    if (err.status === 404) return { text: "这个功能暂时不可用（404），请刷新页面或联系管理员。" };
    const msg = err.message || "";
    return { text: /[\u4e00-\u9fff]/.test(msg) ? msg : `请求失败（${err.status || "未知错误"}），请稍后重试。` };
  }

  function showError(box, errOrText) {
    const info = typeof errOrText === "string" ? { text: errOrText } : explain(errOrText);
    if (info.login) keepForLogin();
    box.replaceChildren(info.text);
    if (info.login) box.append(el("a", { href: "/login?next=/", class: "keep-text login-again" }, "重新登录"));
    box.hidden = false;
  }

  function clearError(box) {
    box.hidden = true;
    box.replaceChildren();
  }

  // -- the conversation -------------------------------------------------------------

  function renderTurns(answering = []) {
    const list = $("turns");
    list.replaceChildren(...state.turns.map((t, i) => {
      const who = t.role === "buyer" ? "买家" : "客服";
      const other = t.role === "buyer" ? "客服" : "买家";
      const time = t.at ? t.at.replace(/^\d{4}-\d{2}-\d{2}T/, "").slice(0, 5) : "";
      const marks = `${answering.includes(i) ? " answering" : ""}${state.contradicted.has(i) ? " contradicted" : ""}`;
      return el("li", { class: `turn ${t.role}${marks}`, "data-turn": i },
        el("div", { class: "turn-head" },
          el("span", { class: "turn-no" }, `第${i + 1}句`),
          el("span", { class: "role" }, who),
          t.name ? el("span", { class: "name" }, t.name) : null,
          time ? el("time", { datetime: t.at }, time) : null,
          answering.includes(i) ? el("span", { class: "badge" }, "待回复") : null,
          el("span", { class: "turn-tools" },
            el("button", { type: "button", class: "link", "aria-label": `把第${i + 1}句改为${other}说的`,
              onclick: () => { t.role = t.role === "buyer" ? "agent" : "buyer"; conversationChanged(); } }, `改为${other}`),
            el("button", { type: "button", class: "link", "aria-label": `删除第${i + 1}句`,
              onclick: () => { state.turns.splice(i, 1); conversationChanged(); } }, "删除"))),
        el("p", { class: "turn-text" }, t.text));
    }));
    list.hidden = state.turns.length === 0;
    $("turns-empty").hidden = state.turns.length > 0;
    if (!state.turns.length) $("turns-note").textContent = "";
    list.scrollTop = list.scrollHeight;
  }

  function conversationChanged() {
    renderTurns();
    if (hasSomethingToAsk()) suggest();
    else { clearResults(); refreshLedger(); }
    state.lastChecked = null;
    checkDraft();
  }

  // A new paste that does not start like the current chat is another buyer: start over first.
  function isContinuation(turns) {
    return state.turns.length === 0 || (turns.length > 0 && turns[0].text === state.turns[0].text);
  }

  function looksLikeChat(text) {
    return text.trim().split(/\r?\n/).filter((l) => l.trim()).length >= 2;
  }

  async function ingest() {
    dropRestore();
    clearError($("ask-error"));
    const raw = message.value;
    const n = cpLen(raw.trim());
    if (!n) {
      if (pendingBuyer()) return suggest();
      $("ask-status").textContent = "请先粘贴买家消息或聊天记录";
      return;
    }
    if (looksLikeChat(raw)) {
      if (n > MAX_CHAT) {
        clearResults();
        showError($("ask-error"), `聊天记录最多 ${MAX_CHAT} 字，现在有 ${n} 字，没有自动截断：请只粘贴最近的一段。`);
        return;
      }
      const g = gen;
      let turns = null;
      let dropped = 0;
      $("ask-status").textContent = "正在拆分聊天记录…";
      try {
        ({ data: { turns, dropped = 0 } } = await api("POST", "/v1/conversations/parse", { text: raw }));
      } catch (err) {
        if (g !== gen) return;
        if (err.status !== 404) {
          $("ask-status").textContent = "";
          clearResults();
          showError($("ask-error"), err);
          return;
        } // no parser on this server: the text is one message
      }
      if (g !== gen) return;
      $("ask-status").textContent = "";
      if (turns && (turns.length > 1 || turns.some((t) => t.role === "agent"))) {
        if (!isContinuation(turns)) newConversation({ keepMessage: true, offerUndo: false });
        state.turns = turns.map((t) => ({ role: t.role, text: t.text, name: t.name || null, at: t.at || null }));
        draftWasSent();
        message.value = "";
        updateCount();
        renderTurns();
        $("turns-note").textContent = dropped
          ? `聊天记录太长：列出了最近的 ${state.turns.length} 句，更早的 ${dropped} 句没有列出` : "";
        if (pendingBuyer()) return suggest();
        clearResults(); // the chat ends with the agent's reply: nothing to answer yet, the promises still count
        refreshLedger();
        $("ask-status").textContent = "最后一句是客服的回复，等买家的下一句";
        return;
      }
    }
    if (n > MAX_MESSAGE) {
      clearResults();
      showError($("ask-error"), `买家消息最多 ${MAX_MESSAGE} 字，现在有 ${n} 字，没有自动截断：请删减后再获取建议。整段聊天记录会自动拆成一句一句，可以直接粘贴。`);
      return;
    }
    return suggest();
  }

  // The pasted chat shows the draft as one of the agent's turns: it was sent, the draft is done.
  function draftWasSent() {
    const squash = (t) => t.replace(/\s+/g, "");
    const sent = squash(draft.value);
    if (!sent || !state.turns.some((t) => t.role === "agent" && squash(t.text) === sent)) return;
    for (const card of state.inDraft) report(card, "sent", draft.value.trim());
    state.inDraft.clear();
    draft.value = "";
    state.undo = [];
    updateUndo();
    checkNow();
    $("draft-status").textContent = "草稿已发出（出现在聊天记录里），已清空";
  }

  function updateCount() {
    const n = cpLen(message.value.trim());
    const box = $("message-count");
    box.classList.toggle("over", n > MAX_MESSAGE && !looksLikeChat(message.value));
    if (n > MAX_MESSAGE && !looksLikeChat(message.value)) box.textContent = `${n} / ${MAX_MESSAGE} 字，已超出上限`;
    else if (n > 1500 && !looksLikeChat(message.value)) box.textContent = `${n} / ${MAX_MESSAGE} 字`;
    else box.textContent = "";
  }

  // -- suggestions ------------------------------------------------------------------

  async function suggest() {
    const g = gen;
    const seq = ++askSeq;
    const text = message.value.trim();
    if (!text && !pendingBuyer()) return;
    const body = { context: contextBody(), shop_key: shopKey(), top_k: 3, explain: true };
    if (state.turns.length) body.conversation = turnsBody();
    if (text) body.message = text;
    clearError($("ask-error"));
    const status = $("ask-status");
    const busy = "正在分析…";
    const done = () => { if (status.textContent === busy) status.textContent = ""; }; // keep a newer note
    status.textContent = busy;
    $("ask-button").setAttribute("aria-busy", "true");
    try {
      const { data } = await api("POST", "/v1/suggest", body);
      if (g !== gen || seq !== askSeq) return;
      showResult(data);
      done();
    } catch (err) {
      if (g !== gen || seq !== askSeq) return;
      done();
      clearResults();
      showError($("ask-error"), err);
    } finally {
      if (seq === askSeq) $("ask-button").removeAttribute("aria-busy");
    }
  }
  const suggestSoon = debounce(suggest, 500);

  function clearResults() {
    $("intents").replaceChildren(el("p", { class: "muted" }, "还没有消息。"));
    $("alerts").replaceChildren();
    $("suggestions").replaceChildren();
    $("var-fields").replaceChildren();
    $("vars").hidden = true;
    state.cards = [];
    openReasons = null;
    state.known = {};
    showLedger([], null);
    renderTurns();
  }

  function flagItem(f, { apply = false } = {}) {
    const turnNote = Number.isInteger(f.turn) && !f.message.includes(`第${f.turn + 1}句`)
      ? el("span", { class: "turn-ref" }, `（与第${f.turn + 1}句的承诺矛盾）`) : null;
    return el("li", { class: `flag sev-${f.severity}`, "data-rule": f.rule },
      el("span", { class: "sev" }, severityName[f.severity] || f.severity),
      el("q", {}, f.excerpt), " ", f.message, turnNote,
      f.suggestion ? el("div", { class: "safer" }, "可以这样说：", f.suggestion,
        apply ? el("button", { type: "button", class: "apply", "aria-label": `采用建议说法替换“${f.excerpt}”`,
          onclick: () => applySafer(f) }, "采用建议说法") : null) : null);
  }

  // The reply text with its unfilled placeholders marked.
  function withPlaceholders(text) {
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const m of text.matchAll(PLACEHOLDER)) {
      if (m.index > pos) frag.append(text.slice(pos, m.index));
      frag.append(el("mark", { class: "ph" }, m[0]));
      pos = m.index + m[0].length;
    }
    if (pos < text.length) frag.append(text.slice(pos));
    return frag;
  }

  function cardItem(card, idx) {
    const name = card.combined ? "合并回复" : card.title;
    const flash = (btn, text) => {
      const old = btn.textContent;
      btn.textContent = text;
      setTimeout(() => { btn.textContent = old; }, 1500);
    };
    const copy = el("button", { type: "button", class: "copy", "aria-label": `复制回复：${name}` }, "复制");
    copy.addEventListener("click", async () => {
      if (!confirmSend(card.text, card.flags, "这条回复")) return;
      const ok = await copyText(card.text);
      flash(copy, ok ? "已复制" : "复制失败");
      if (ok) report(card, "copied", card.text);
    });
    const findings = card.flags.filter((f) => f.rule !== "unfilled_placeholder");
    const missing = card.missing_vars.map(labelOf);
    const { dismiss, reasons, note } = dismissParts(card, name, `dismiss-reasons-${idx}`);
    return el("li", { class: `suggestion${card.combined ? " combined" : ""}`, "data-template": card.template_id },
      el("div", { class: "meta" },
        idx < 3 ? el("kbd", { class: "num", title: `按 Alt+${idx + 1} 插入草稿` }, `Alt+${idx + 1}`) : null,
        el("span", { class: "title" }, name),
        card.combined ? el("span", { class: "muted small" }, "一次问候 + 每个问题 + 一次结尾") : null,
        el("span", { class: "actions" },
          el("button", { type: "button", class: "insert", "aria-label": `把${name}插入草稿光标处`,
            onclick: () => useCard(card, "insert") }, "插入"),
          el("button", { type: "button", class: "replace", "aria-label": `用${name}替换整个草稿`,
            onclick: () => useCard(card, "replace") }, "替换"),
          copy, dismiss)),
      reasons, note,
      el("p", { class: "text" }, withPlaceholders(card.text)),
      missing.length ? el("p", { class: "missing" }, "还缺：", missing.join("、"), "（在上方“订单信息”里填写）") : null,
      findings.length ? el("ul", { class: "flags" }, findings.map((f) => flagItem(f))) : null);
  }

  // -- 不合适: a suggestion the agent will not use, with an optional reason --------------

  const REASONS = ["不相关", "语气不对", "信息不对", "其他"];
  let openReasons = null; // the reason picker that is open: { box, button }

  function closeReasons(focusBack) {
    if (!openReasons) return false;
    const { box, button } = openReasons;
    openReasons = null;
    box.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focusBack) button.focus();
    return true;
  }

  // The 不合适 button, its reason picker and the collapsed card's note with 撤销.
  function dismissParts(card, name, id) {
    const dismiss = el("button", { type: "button", class: "dismiss", "aria-label": `标记“${name}”不合适`,
      "aria-expanded": "false", "aria-controls": id }, "不合适");
    const pick = (reason) => () => markDismissed(reason);
    const reasons = el("div", { class: "dismiss-reasons", id, role: "group", "aria-label": `“${name}”哪里不合适（可不选）`, hidden: true },
      el("span", { class: "muted small" }, "哪里不合适？（可不选）"),
      REASONS.map((r) => el("button", { type: "button", class: "reason", onclick: pick(r) }, r)),
      el("button", { type: "button", class: "reason", onclick: pick(null) }, "不说原因"),
      el("button", { type: "button", class: "link", onclick: () => closeReasons(true) }, "取消"));
    const noteText = el("span", {}, "");
    const undo = el("button", { type: "button", class: "link undo-dismiss", "aria-label": `撤销：重新显示“${name}”` }, "撤销");
    const note = el("p", { class: "dismissed-note", role: "status", hidden: true }, noteText, " · ", undo);

    dismiss.addEventListener("click", () => {
      const open = openReasons && openReasons.box === reasons;
      closeReasons(false);
      if (open) return;
      reasons.hidden = false;
      dismiss.setAttribute("aria-expanded", "true");
      openReasons = { box: reasons, button: dismiss };
      reasons.querySelector("button").focus();
    });
    function markDismissed(reason) {
      closeReasons(false);
      report(card, "dismissed", undefined, reason);
      card.dismissed = true;
      noteText.textContent = reason ? `已标记不合适（${reason}）` : "已标记不合适";
      note.hidden = false;
      dismiss.closest(".suggestion").classList.add("dismissed");
      undo.focus();
    }
    undo.addEventListener("click", () => { // the card comes back, and the 不合适 is taken back
      if (card.suggestion_id) api("DELETE", `/v1/feedback/${encodeURIComponent(card.suggestion_id)}/dismissed`).catch(() => {});
      card.dismissed = false;
      note.hidden = true;
      dismiss.closest(".suggestion").classList.remove("dismissed");
      dismiss.focus();
    });
    return { dismiss, reasons, note };
  }

  function showResult(out) {
    const intents = $("intents");
    intents.replaceChildren();
    if (!out.intents.length) {
      intents.append(el("p", { class: "no-match" }, out.note || "没有把握匹配到售后问题，建议人工回复。"));
    }
    for (const i of out.intents) {
      intents.append(el("span", { class: "chip", "data-intent": i.id }, i.label, el("small", {}, ` ${Math.round(i.score * 100)}%`)));
    }
    const answering = out.answering || [];
    if (answering.length) {
      const which = answering.map((i) => (i < state.turns.length ? `第${i + 1}句` : "消息框里的新消息"));
      intents.append(el("span", { class: "muted small answering-note" }, `回复${[...new Set(which)].join("、")}`));
    }
    $("alerts").replaceChildren(...out.alerts.map((a) =>
      el("li", { class: `alert sev-${a.severity}`, role: "alert" }, el("strong", {}, "注意："), a.message)));
    renderVars(out);
    state.cards = [];
    openReasons = null;
    if (out.combined) state.cards.push({ ...out.combined, combined: true, template_id: "combined", title: "合并回复" });
    state.cards.push(...out.suggestions);
    $("suggestions").replaceChildren(...state.cards.map(cardItem));
    if (out.promises) showLedger(out.promises, out.order_note ?? null);
    renderTurns(answering);
  }

  // -- inline fields for what the replies still lack ---------------------------------

  function renderVars(out) {
    let missing = out.missing;
    if (!missing) { // an older server: what the suggestions lack
      const names = [...new Set(out.suggestions.flatMap((s) => s.missing_vars))];
      missing = names.map((name) => ({ name, label: labelOf(name) }));
    }
    for (const m of missing) if (m.label) labels[m.name] = labels[m.name] || m.label;
    const known = out.variables || {};
    state.known = { ...known };
    const missingNames = new Set(missing.map((m) => m.name));
    state.missingNames = missingNames;
    const names = [...new Set([...missingNames, ...Object.keys(known), ...Object.keys(state.ctx)])];
    const box = $("var-fields");
    for (const field of [...box.children]) {
      if (!names.includes(field.dataset.var) && !field.contains(document.activeElement)) field.remove();
    }
    for (const name of names) {
      let field = [...box.children].find((f) => f.dataset.var === name);
      if (!field) {
        const input = el("input", { id: `var-${name}`, "data-var": name, maxlength: "500", placeholder: "请填写" });
        input.addEventListener("input", () => {
          const v = input.value.trim();
          if (v) state.ctx[name] = v; else delete state.ctx[name];
          input.closest(".var").classList.toggle("missing", !v && state.missingNames.has(name));
          suggestSoon();
        });
        input.addEventListener("keydown", (e) => {
          if (e.key === "Enter") { e.preventDefault(); suggest(); }
        });
        field = el("div", { class: "var", "data-var": name }, el("label", { for: `var-${name}` }, labelOf(name)), input);
        box.append(field);
      }
      const input = field.querySelector("input");
      if (document.activeElement !== input) input.value = state.ctx[name] ?? known[name] ?? "";
      field.classList.toggle("missing", missingNames.has(name) && !input.value.trim());
      field.classList.toggle("known", !missingNames.has(name));
    }
    $("vars").hidden = names.length === 0;
  }

  // -- the promise ledger -----------------------------------------------------------

  function localNote(promises) {
    return promises.length ? `旺旺承诺：${promises.map((p) => p.text).join("；")}` : null;
  }

  function showLedger(promises, note) {
    state.promises = promises || [];
    state.note = note || localNote(state.promises);
    $("ledger").hidden = state.promises.length === 0;
    $("promises").replaceChildren(...state.promises.map((p) => el("li", { class: "promise", "data-kind": p.kind },
      el("span", { class: "turn-no" }, `第${p.turn + 1}句`),
      el("span", { class: "kind" }, kindNames[p.kind] || p.kind),
      el("span", { class: "ptext" }, p.text))));
    $("note-text").textContent = state.note || "";
  }

  async function refreshLedger() {
    const last = [...state.turns].reverse().find((t) => t.role === "agent");
    if (!last) { showLedger([], null); return; }
    const g = gen;
    try {
      const { data } = await api("POST", "/v1/check", { text: last.text, shop_key: shopKey(), conversation: turnsBody() });
      if (g === gen && data.promises) showLedger(data.promises, data.order_note ?? null);
    } catch (err) {
      if (g === gen) { showLedger([], null); showError($("ask-error"), err); }
    }
  }

  // -- the draft --------------------------------------------------------------------

  // What the agent did with a suggestion (the acceptance figures); a failure here never bothers them.
  function report(card, action, finalText, reason) {
    if (!card.suggestion_id) return;
    const body = { suggestion_id: card.suggestion_id, action };
    if (finalText !== undefined) body.final_text = finalText;
    if (reason) body.reason = reason;
    api("POST", "/v1/feedback", body).catch(() => {});
  }

  function useCard(card, mode) {
    putInDraft(card.text, mode);
    if (mode === "replace") state.inDraft.clear();
    state.inDraft.add(card);
    report(card, "inserted");
  }

  function updateUndo() { $("undo-draft").disabled = state.undo.length === 0; }

  function pushUndo() {
    state.undo.push({ value: draft.value, start: draft.selectionStart, end: draft.selectionEnd });
    if (state.undo.length > 30) state.undo.shift();
    updateUndo();
  }

  // Insert at the caret (or replace the whole draft), keeping the browser's own undo (Ctrl+Z) too.
  function putInDraft(text, mode) {
    pushUndo();
    draft.focus();
    if (mode === "replace") draft.setSelectionRange(0, draft.value.length);
    const before = draft.value;
    let ok = false;
    try { ok = document.execCommand("insertText", false, text); } catch (e) { ok = false; }
    if (!ok || draft.value === before) {
      const s = draft.selectionStart;
      draft.value = before.slice(0, s) + text + before.slice(draft.selectionEnd);
      draft.setSelectionRange(s + text.length, s + text.length);
    }
    $("draft-status").textContent = mode === "replace" ? "已替换草稿，可点“撤销”恢复" : "已插入草稿";
    checkNow();
  }

  function undoDraft() {
    const last = state.undo.pop();
    updateUndo();
    if (!last) return;
    draft.value = last.value;
    draft.focus();
    draft.setSelectionRange(last.start, last.end);
    $("draft-status").textContent = "已撤销";
    checkNow();
  }

  function applySafer(f) {
    if (draft.value !== state.lastChecked || !f.suggestion) return;
    const start = cpToUnit(draft.value, f.start);
    const end = cpToUnit(draft.value, f.end);
    pushUndo();
    draft.focus();
    draft.setSelectionRange(start, end);
    let ok = false;
    try { ok = document.execCommand("insertText", false, f.suggestion); } catch (e) { ok = false; }
    if (!ok) draft.value = draft.value.slice(0, start) + f.suggestion + draft.value.slice(end);
    hideFlagPop();
    $("draft-status").textContent = "已改成建议说法，可点“撤销”恢复";
    checkNow();
  }

  // Whether text may go out: unfilled placeholders and block flags ask first.
  function confirmSend(text, flags, what) {
    const ph = placeholders(text);
    if (ph.length && !window.confirm(`${what}还有没填的内容：${ph.join("、")}。仍要复制吗？`)) return false;
    const blocks = (flags || []).filter((f) => f.severity === "block");
    if (blocks.length && !window.confirm(`${what}有 ${blocks.length} 处禁止发送的说法（${blocks.map((f) => f.excerpt).join("、")}）。仍要复制吗？`)) return false;
    return true;
  }

  async function copyDraft() {
    const text = draft.value;
    if (!text.trim()) { $("draft-status").textContent = "草稿还是空的"; return; }
    if (text !== state.lastChecked) await checkDraft();
    else if (state.checking) await state.checking;
    if (draft.value !== text) return;
    if (state.lastChecked !== text && !window.confirm("草稿没能检查风险（请求失败）。仍要复制吗？")) return;
    if (!confirmSend(text, state.flags, "草稿")) return;
    const ok = await copyText(text);
    if (ok) for (const card of state.inDraft) report(card, "copied", text); // final_text: edited or not
    const btn = $("copy-draft");
    btn.classList.toggle("done", ok);
    setTimeout(() => btn.classList.remove("done"), 1500);
    $("draft-status").textContent = ok ? "已复制草稿，可以到千牛粘贴发送" : "复制失败，请手动选中草稿复制";
  }

  function checkDraft() {
    state.checking = runCheck();
    return state.checking;
  }

  async function runCheck() {
    const text = draft.value;
    if (text === state.lastChecked) return;
    state.lastChecked = text;
    hideFlagPop();
    clearError($("draft-error"));
    if (!text.trim()) {
      state.flags = [];
      markContradicted([]);
      layer.replaceChildren();
      $("flags").replaceChildren();
      $("draft-status").textContent = "";
      return;
    }
    const g = gen;
    const seq = ++checkSeq;
    const body = { text, shop_key: shopKey() };
    if (state.turns.length) body.conversation = turnsBody();
    try {
      const { data } = await api("POST", "/v1/check", body);
      if (g !== gen || seq !== checkSeq || draft.value !== text) return;
      state.flags = data.flags;
      markContradicted(data.flags);
      layer.replaceChildren(highlighted(text, data.flags, null, { focusable: false }));
      layer.scrollTop = draft.scrollTop;
      $("flags").replaceChildren(...data.flags.map((f) => flagItem(f, { apply: true })));
      $("draft-status").textContent = data.flags.length ? `发现 ${data.flags.length} 处需要注意` : "没有发现风险";
      if (data.promises && state.turns.length && JSON.stringify(data.promises) !== JSON.stringify(state.promises)) {
        showLedger(data.promises, data.order_note ?? null);
      }
    } catch (err) {
      if (g !== gen || seq !== checkSeq) return;
      state.flags = [];
      markContradicted([]);
      state.lastChecked = null; // try again on the next change
      layer.replaceChildren();
      $("flags").replaceChildren();
      $("draft-status").textContent = "";
      showError($("draft-error"), err);
    }
  }
  const checkSoon = debounce(checkDraft, 350);

  function markContradicted(flags) {
    state.contradicted = new Set(flags.filter((f) => Number.isInteger(f.turn)).map((f) => f.turn));
    for (const li of $("turns").children) li.classList.toggle("contradicted", state.contradicted.has(Number(li.dataset.turn)));
  }
  function checkNow() { state.lastChecked = null; layer.replaceChildren(); checkDraft(); }

  // A click in the draft on a highlighted span explains it; the caret stays where it was put.
  function flagAtCaret() {
    if (draft.value !== state.lastChecked || draft.selectionStart !== draft.selectionEnd) return null;
    const cp = cpLen(draft.value.slice(0, draft.selectionStart));
    return state.flags.find((f) => f.start < cp && cp < f.end)
      || state.flags.find((f) => f.start <= cp && cp <= f.end) || null;
  }

  function showFlagPop(f) {
    const mark = layer.querySelector(`mark[data-start="${f.start}"]`);
    flagPop.replaceChildren(
      el("div", { class: "pop-head" },
        el("strong", {}, severityName[f.severity] || f.severity),
        el("button", { type: "button", class: "link pop-close", "aria-label": "关闭风险说明", onclick: hideFlagPop }, "关闭")),
      el("p", {}, el("q", {}, f.excerpt), " ", f.message,
        Number.isInteger(f.turn) && !f.message.includes(`第${f.turn + 1}句`) ? `（与第${f.turn + 1}句的承诺矛盾）` : ""),
      f.suggestion ? el("p", {}, "可以这样说：", f.suggestion) : null,
      f.suggestion ? el("button", { type: "button", class: "apply", onclick: () => applySafer(f) }, "采用建议说法") : null);
    flagPop.hidden = false;
    flagPop.dataset.start = f.start;
    if (mark) {
      const wrap = draft.parentElement;
      const top = mark.offsetTop - layer.scrollTop + mark.offsetHeight + 6;
      const left = Math.max(0, Math.min(mark.offsetLeft, wrap.clientWidth - flagPop.offsetWidth));
      flagPop.style.top = `${top}px`;
      flagPop.style.left = `${left}px`;
    }
  }

  function hideFlagPop() {
    flagPop.hidden = true;
    delete flagPop.dataset.start;
  }

  // -- the phrase library -----------------------------------------------------------

  const phr = { items: [], active: 0, seq: 0, caret: [0, 0] };

  function openPhrases() {
    hideFlagPop();
    phr.caret = [draft.selectionStart, draft.selectionEnd];
    phrasePanel.hidden = false;
    $("phrase-button").setAttribute("aria-expanded", "true");
    phraseQ.value = "";
    phraseQ.focus();
    searchPhrases();
  }

  function closePhrases(refocus = true) {
    if (phrasePanel.hidden) return;
    phrasePanel.hidden = true;
    $("phrase-button").setAttribute("aria-expanded", "false");
    if (refocus) {
      draft.focus();
      draft.setSelectionRange(...phr.caret);
    }
  }

  async function searchPhrases() {
    const seq = ++phr.seq;
    const q = phraseQ.value.trim();
    $("phrase-status").textContent = "正在搜索…";
    try {
      const { data } = await api("POST", "/v1/phrases/search",
        { q, context: { ...state.known, ...contextBody() }, shop_key: shopKey(), limit: 20 }); // what the chat told
      if (seq !== phr.seq) return;
      phr.items = data.phrases;
      phr.active = 0;
      renderPhrases();
      $("phrase-list").dataset.q = q; // what the list shows results for
      $("phrase-status").textContent = phr.items.length ? "" : "没有找到相关短语";
    } catch (err) {
      if (seq !== phr.seq) return;
      phr.items = [];
      renderPhrases();
      $("phrase-status").textContent = explain(err).text;
    }
  }
  const searchSoon = debounce(searchPhrases, 150);

  function renderPhrases() {
    $("phrase-list").replaceChildren(...phr.items.map((p, i) => {
      const item = el("li", { class: `phrase${i === phr.active ? " active" : ""}`, id: `phrase-${i}`, "data-id": p.id },
      el("div", { class: "phrase-head" },
        el("span", { class: "ptitle" }, p.title),
        p.shortcode ? el("code", { class: "code-badge" }, p.shortcode) : null,
        el("span", { class: "muted small" }, p.kind === "personal" ? "个人" : "模板"),
        el("span", { class: "phrase-tools" },
          el("button", { type: "button", class: "link pick", "aria-label": `插入“${p.title}”`,
            onclick: (e) => { e.stopPropagation(); insertPhrase(i); } }, "插入"),
          el("button", { type: "button", class: `link fav${p.favourite ? " on" : ""}`, "aria-pressed": p.favourite ? "true" : "false",
            "aria-label": `${p.favourite ? "取消收藏" : "收藏"}“${p.title}”`,
            onclick: (e) => { e.stopPropagation(); toggleFavourite(p); } }, p.favourite ? "★" : "☆"),
          p.kind === "personal" ? el("button", { type: "button", class: "link del", "aria-label": `删除个人短语“${p.title}”`,
            onclick: (e) => { e.stopPropagation(); deletePersonal(p); } }, "删除") : null)),
      el("p", { class: "snippet" }, p.text));
      item.addEventListener("click", () => insertPhrase(i));
      return item;
    }));
    const active = phr.items[phr.active];
    $("phrase-active").textContent = active ? `第${phr.active + 1}条，共${phr.items.length}条：${active.title}，回车插入` : "";
  }

  function moveActive(delta) {
    if (!phr.items.length) return;
    phr.active = (phr.active + delta + phr.items.length) % phr.items.length;
    renderPhrases();
    $(`phrase-${phr.active}`).scrollIntoView({ block: "nearest" });
  }

  function insertPhrase(i) {
    const p = phr.items[i];
    if (!p) return;
    closePhrases(true);
    putInDraft(p.text, "insert");
    if (signedIn) api("POST", "/v1/phrases/used", { id: p.id }).catch(() => {});
  }

  async function toggleFavourite(p) {
    if (!signedIn) { $("phrase-status").textContent = "登录后可收藏和保存个人短语"; return; }
    try {
      await api(p.favourite ? "DELETE" : "PUT", `/v1/phrases/favourites/${p.id.split("/").map(encodeURIComponent).join("/")}`);
      p.favourite = !p.favourite;
      renderPhrases();
      $("phrase-status").textContent = p.favourite ? `已收藏“${p.title}”` : `已取消收藏“${p.title}”`;
    } catch (err) {
      $("phrase-status").textContent = explain(err).text;
    }
    phraseQ.focus();
  }

  async function deletePersonal(p) {
    if (!window.confirm(`删除个人短语“${p.title}”？`)) return;
    try {
      await api("DELETE", `/v1/phrases/personal/${encodeURIComponent(String(p.id).replace(/^my:/, ""))}`);
      await searchPhrases();
      $("phrase-status").textContent = `已删除“${p.title}”`;
    } catch (err) {
      $("phrase-status").textContent = explain(err).text;
    }
    phraseQ.focus();
  }

  async function savePersonal(e) {
    e.preventDefault();
    const body = { title: $("phrase-title").value.trim(), text: $("phrase-text").value.trim() };
    const code = $("phrase-code").value.trim();
    if (code) body.shortcode = code;
    if (!body.title || !body.text) { $("phrase-status").textContent = "请填写标题和内容"; return; }
    try {
      await api("POST", "/v1/phrases/personal", body);
      $("phrase-form").reset();
      $("phrase-new").open = false;
      phraseQ.value = code || body.title;
      phraseQ.focus();
      await searchPhrases();
      $("phrase-status").textContent = `已保存个人短语“${body.title}”`;
    } catch (err) {
      $("phrase-status").textContent = explain(err).text;
    }
  }

  // A "/" starts a phrase search unless it is part of a link, a date or a number (11/30, http://).
  function slashOpensPhrases() {
    const before = draft.value.slice(0, draft.selectionStart);
    return !/[A-Za-z0-9:/.]$/.test(before);
  }

  // -- new conversation, keeping typed text across a sign-in --------------------------

  let restore = null;

  function snapshot() {
    return { turns: state.turns.map((t) => ({ ...t })), ctx: { ...state.ctx }, message: message.value, draft: draft.value };
  }

  function applySnapshot(s) {
    state.turns = s.turns || [];
    state.ctx = s.ctx || {};
    message.value = s.message || "";
    draft.value = s.draft || "";
    updateCount();
    renderTurns();
    if (hasSomethingToAsk()) suggest();
    else refreshLedger();
    checkNow();
  }

  function dropRestore() {
    if (!restore) return;
    restore = null;
    if ($("ask-status").querySelector(".restore")) $("ask-status").textContent = "";
  }

  function newConversation({ keepMessage = false, offerUndo = true } = {}) {
    const snap = snapshot();
    const hadAnything = snap.turns.length || snap.message.trim() || snap.draft.trim() || Object.keys(snap.ctx).length;
    gen += 1;
    state.turns = [];
    state.ctx = {};
    state.undo = [];
    state.flags = [];
    state.contradicted = new Set();
    state.inDraft = new Set();
    state.lastChecked = null;
    if (!keepMessage) message.value = "";
    draft.value = "";
    layer.replaceChildren();
    $("flags").replaceChildren();
    for (const id of ["draft-status", "ask-status", "nick-status"]) if ($(id)) $(id).textContent = "";
    clearError($("ask-error"));
    clearError($("draft-error"));
    clearResults();
    hideFlagPop();
    closePhrases(false);
    closeHelp(false);
    updateUndo();
    updateCount();
    try { sessionStorage.removeItem(KEEP_KEY); } catch (e) { /* storage off */ }
    if (!keepMessage) message.focus();
    restore = null;
    if (offerUndo && hadAnything) {
      restore = snap;
      const btn = el("button", { type: "button", class: "link restore", onclick: () => {
        const s = restore;
        restore = null;
        $("ask-status").textContent = "";
        if (s) applySnapshot(s);
      } }, "撤销");
      $("ask-status").replaceChildren("已开始新会话 ", btn);
    }
  }

  function keepForLogin() {
    try {
      sessionStorage.setItem(KEEP_KEY, JSON.stringify({ ...snapshot(), shop: shopKey(), t: Date.now() }));
    } catch (e) { /* storage off: nothing to keep */ }
  }

  function restoreAfterLogin() {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(KEEP_KEY) || "null");
      sessionStorage.removeItem(KEEP_KEY);
    } catch (e) { kept = null; }
    if (!kept || Date.now() - (kept.t || 0) > 12 * 3600 * 1000) return;
    if (kept.shop && [...$("shop_key").options].some((o) => o.value === kept.shop)) $("shop_key").value = kept.shop;
    applySnapshot(kept);
    $("ask-status").textContent = "已恢复登录前输入的内容";
  }

  // -- popovers ---------------------------------------------------------------------

  function openHelp() {
    $("help").hidden = false;
    $("help-button").setAttribute("aria-expanded", "true");
    $("help").querySelector(".pop-close").focus();
  }

  function closeHelp(refocus = true) {
    if ($("help").hidden) return;
    $("help").hidden = true;
    $("help-button").setAttribute("aria-expanded", "false");
    if (refocus) $("help-button").focus();
  }

  // Esc closes the topmost thing that is open; true when there was one.
  function closeTopmost() {
    if (closeReasons(true)) return true;
    if (!phrasePanel.hidden) { closePhrases(true); return true; }
    if (!$("help").hidden) { closeHelp(true); return true; }
    if (!flagPop.hidden) { hideFlagPop(); return true; }
    const nick = $("nick-form");
    if (nick && !nick.hidden) { closeNick(); return true; }
    return false;
  }

  // -- the agent's nickname ---------------------------------------------------------

  function closeNick() {
    $("nick-form").hidden = true;
    $("nick-edit").hidden = false;
    $("nick-edit").focus();
  }

  async function saveNick(e) {
    e.preventDefault();
    const nickname = $("nick-input").value.trim();
    if (!nickname) { $("nick-status").textContent = "请填写客服昵称"; return; }
    try {
      const { data } = await api("PUT", "/v1/me", { nickname });
      state.nickname = data.nickname || nickname;
      $("nickname").textContent = state.nickname;
      $("nick-status").textContent = "已保存，回复里会自动带上";
      closeNick();
      if (hasSomethingToAsk()) suggest();
    } catch (err) {
      $("nick-status").textContent = explain(err).text;
    }
  }

  // -- wiring -----------------------------------------------------------------------

  $("ask").addEventListener("submit", (e) => { e.preventDefault(); ingest(); });
  message.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); ingest(); }
  });
  // A paste is handled here (also a synthetic one): the text goes in at the caret and is read at once.
  message.addEventListener("paste", (e) => {
    const text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
    if (!text) return;
    e.preventDefault();
    message.focus();
    let ok = false;
    try { ok = document.execCommand("insertText", false, text); } catch (err) { ok = false; }
    if (!ok) {
      const s = message.selectionStart;
      message.value = message.value.slice(0, s) + text + message.value.slice(message.selectionEnd);
    }
    updateCount();
    ingest();
  });
  message.addEventListener("input", () => { dropRestore(); updateCount(); });
  $("add-buyer").addEventListener("click", () => {
    const text = message.value.trim();
    if (!text) { $("ask-status").textContent = "请先输入买家的这句话"; return; }
    state.turns.push({ role: "buyer", text, name: null, at: null });
    message.value = "";
    updateCount();
    renderTurns();
    suggest();
    message.focus();
  });
  $("record-sent").addEventListener("click", () => {
    const buyer = message.value.trim();
    const reply = draft.value.trim();
    if (!buyer && !reply) { $("draft-status").textContent = "没有可以记入会话的内容"; return; }
    if (buyer) state.turns.push({ role: "buyer", text: buyer, name: null, at: null });
    if (reply) state.turns.push({ role: "agent", text: reply, name: state.nickname, at: null });
    if (reply) for (const card of state.inDraft) report(card, "sent", reply);
    message.value = "";
    draft.value = "";
    state.undo = [];
    state.inDraft.clear();
    updateUndo();
    updateCount();
    clearResults();
    state.lastChecked = null;
    checkDraft();
    refreshLedger();
    $("ask-status").textContent = "已记入会话，等买家的下一句";
    message.focus();
  });
  $("new-conv").addEventListener("click", () => newConversation());
  $("help-button").addEventListener("click", () => ($("help").hidden ? openHelp() : closeHelp()));
  $("help").querySelector(".pop-close").addEventListener("click", () => closeHelp());

  draft.addEventListener("input", (e) => {
    // With a Chinese input method "/" arrives as text (／, or 、 at the start of a line): open the phrases too.
    if (e.inputType === "insertText" && ["/", "／", "、"].includes(e.data) && draft.selectionStart === draft.selectionEnd) {
      const end = draft.selectionStart;
      const before = draft.value.slice(0, end - 1);
      if ((e.data !== "、" || /(^|\n)$/.test(before)) && !/[A-Za-z0-9:/.]$/.test(before)) {
        draft.value = before + draft.value.slice(end);
        draft.setSelectionRange(end - 1, end - 1);
        openPhrases();
      }
    }
    dropRestore();
    layer.replaceChildren();
    hideFlagPop();
    checkSoon();
  });
  draft.addEventListener("scroll", () => { layer.scrollTop = draft.scrollTop; hideFlagPop(); });
  draft.addEventListener("click", () => {
    if (lastDown !== draft) { hideFlagPop(); return; } // a click on the draft's label, not on its text
    const f = flagAtCaret();
    if (f) showFlagPop(f); else hideFlagPop();
  });
  draft.addEventListener("keydown", (e) => {
    if (e.key === "/" && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing && slashOpensPhrases()) {
      e.preventDefault();
      openPhrases();
    }
  });
  $("copy-draft").addEventListener("click", copyDraft);
  $("copy-note").addEventListener("click", async () => {
    if (!state.note) return;
    const ok = await copyText(state.note);
    const btn = $("copy-note");
    btn.textContent = ok ? "已复制备注" : "复制失败";
    setTimeout(() => { btn.textContent = "复制备注"; }, 1500);
  });
  $("undo-draft").addEventListener("click", undoDraft);
  $("phrase-button").addEventListener("click", () => (phrasePanel.hidden ? openPhrases() : closePhrases()));
  $("phrases-close").addEventListener("click", () => closePhrases());
  phraseQ.addEventListener("input", searchSoon);
  phraseQ.addEventListener("keydown", (e) => {
    if (e.isComposing) return;
    if (e.key === "ArrowDown") { e.preventDefault(); moveActive(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); moveActive(-1); }
    else if (e.key === "Enter") { e.preventDefault(); insertPhrase(phr.active); }
    else if (e.key === "/" && !phraseQ.value) { // "//" types a slash
      e.preventDefault();
      closePhrases(true);
      putInDraft("/", "insert");
    }
  });
  if ($("phrase-form")) {
    $("phrase-form").addEventListener("submit", savePersonal);
    $("phrase-new").addEventListener("toggle", () => {
      if ($("phrase-new").open && !$("phrase-text").value) {
        const [s, e] = phr.caret;
        $("phrase-text").value = s !== e ? draft.value.slice(s, e) : draft.value;
      }
    });
  }
  if ($("nick-edit")) {
    $("nick-edit").addEventListener("click", () => {
      $("nick-form").hidden = false;
      $("nick-edit").hidden = true;
      $("nick-input").value = state.nickname || "";
      $("nick-input").focus();
    });
    $("nick-cancel").addEventListener("click", closeNick);
    $("nick-form").addEventListener("submit", saveNick);
  }

  $("shop_key").addEventListener("change", () => {
    if (hasSomethingToAsk()) suggest();
    else if (state.turns.length) refreshLedger();
    state.lastChecked = null;
    checkDraft();
    if (!phrasePanel.hidden) searchPhrases();
  });

  // A tap or click outside an open popover closes it (a phone has no Esc key).
  let lastDown = null;
  document.addEventListener("pointerdown", (e) => {
    lastDown = e.target;
    if (!flagPop.hidden && !flagPop.contains(e.target) && e.target !== draft) hideFlagPop();
    if (!$("help").hidden && !$("help").contains(e.target) && !$("help-button").contains(e.target)) closeHelp(false);
    if (!phrasePanel.hidden && !phrasePanel.contains(e.target) && !$("phrase-button").contains(e.target)) closePhrases(false);
    if (openReasons && !openReasons.box.contains(e.target) && !openReasons.button.contains(e.target)) closeReasons(false);
  });

  document.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229) return; // an input method is composing: its keys are not ours
    if (e.key === "Escape") {
      e.preventDefault();
      if (!closeTopmost()) newConversation();
      return;
    }
    if (e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-3]$/.test(e.code)) {
      const card = state.cards[Number(e.code.slice(5)) - 1];
      if (card && !card.dismissed) { e.preventDefault(); useCard(card, "insert"); }
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.code === "KeyC") {
      e.preventDefault();
      copyDraft();
    }
  });

  // Sign-in links keep what was typed; it comes back after the sign-in.
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a[href^='/login']");
    if (a) keepForLogin();
  });

  $("skip").addEventListener("click", (e) => { e.preventDefault(); message.focus(); });

  restoreAfterLogin();
  message.focus();
})();
