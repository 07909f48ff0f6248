// The learning inbox (/editor/inbox): groups of messages the engine did not handle well, a preview of
// what adding them as examples would do, and the save (a new version of the intent).
"use strict";

(() => {
  const { api, el } = shouhou;
  const KINDS = { no_match: "未匹配", low_confidence: "低置信度", dismissed: "建议被拒" };
  const CLOSE_ENOUGH = 0.3; // a rejected intent this likely is offered first in the picker
  const filters = document.getElementById("inbox-filters");
  const status = document.getElementById("inbox-status");
  const tbody = document.querySelector("#inbox-groups tbody");
  const choices = document.getElementById("intent-choices");
  const panel = document.getElementById("inbox-preview");
  const previewWhat = document.getElementById("preview-what");
  const previewSummary = document.getElementById("preview-summary");
  const previewList = document.getElementById("preview-messages");
  const previewSkipped = document.getElementById("preview-skipped");
  const previewStatus = document.getElementById("preview-status");
  const saveButton = document.getElementById("preview-save");
  const dialog = document.getElementById("new-intent-dialog");
  const dialogForm = document.getElementById("new-intent-form");

  let pending = null; // {body, preview}: the previewed action, saved by 保存
  let newIntentGroup = null;

  function query() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (v) params.set(k, v);
    return params;
  }

  async function load() {
    status.textContent = "正在读取…";
    const params = query();
    history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
    try {
      const { data } = await api("GET", `/v1/inbox?${params}`);
      render(data);
      // Show the period the server chose (the last 30 days unless asked).
      if (!filters.elements.from.value) filters.elements.from.value = data.from;
      if (!filters.elements.to.value) filters.elements.to.value = data.to;
      status.textContent = `${data.from} 至 ${data.to}：${data.messages} 条消息，${data.groups.length} 组待处理` +
        (data.handled_groups ? `（另有 ${data.handled_groups} 组已是例句）` : "");
    } catch (err) {
      status.textContent = err.message;
      tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "error" }, err.message)));
    }
  }

  function nowCell(now) {
    const parts = [];
    for (const i of now.intents) parts.push(el("div", {}, `${i.label} `, el("small", { class: "muted" }, `${i.count}/${now.checked} 条 · ${i.score.toFixed(2)}`)));
    if (now.no_match) {
      parts.push(el("div", { class: "muted" }, `未匹配 ${now.no_match}/${now.checked} 条`));
      if (now.closest) parts.push(el("small", { class: "muted" }, `最接近：${now.closest.label}`));
    }
    return el("td", { class: "now" }, parts);
  }

  function picker(group) {
    const select = choices.cloneNode(true);
    select.removeAttribute("id");
    select.hidden = false;
    select.removeAttribute("aria-hidden");
    select.setAttribute("aria-label", "加到哪个意图");
    select.name = "intent";
    select.prepend(el("option", { value: "" }, "选择意图…"));
    // Preselect what the engine leans to, when it leans at all.
    const closest = group.now.closest && group.now.closest.score >= CLOSE_ENOUGH ? group.now.closest.id : "";
    const guess = group.now.intents[0]?.id || closest;
    select.value = guess && [...select.options].some((o) => o.value === guess) ? guess : "";
    return select;
  }

  function render(data) {
    if (!data.groups.length) {
      tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "这段时间没有需要处理的消息。")));
      return;
    }
    tbody.replaceChildren(...data.groups.map((g) => {
      const select = picker(g);
      const more = g.distinct - g.examples.length;
      const kinds = Object.entries(g.kinds).map(([k, n]) => el("span", { class: "chip reason" }, `${KINDS[k] || k} ${n}`));
      const reasons = g.reasons.map((r) => el("span", { class: "reason muted small" }, `${r.reason} ×${r.count}`));
      return el("tr", { class: "group", "data-key": g.key },
        el("td", { class: "texts" }, el("ul", {}, g.examples.map((t) => el("li", {}, t))),
          more > 0 ? el("small", { class: "muted" }, `另有 ${more} 种说法`) : null),
        el("td", { class: "count" }, `${g.count}`),
        el("td", { class: "kinds" }, kinds, reasons.length ? el("div", {}, reasons) : null),
        nowCell(g.now),
        el("td", { class: "actions" }, select,
          el("div", { class: "tools" },
            el("button", { type: "button", class: "primary", onclick: () => addExample(g, select) }, "加为例句"),
            el("button", { type: "button", onclick: () => run({ action: "out_of_scope", messages: g.texts }) }, "设为无关"),
            el("button", { type: "button", onclick: () => askNewIntent(g) }, "新建意图"))));
    }));
  }

  function answer(a) {
    return a.no_match ? "未匹配" : a.intents.map((i) => `${i.label} ${i.score.toFixed(2)}`).join("、");
  }

  function describe(body, p) {
    const n = p.added.length;
    if (body.action === "out_of_scope") return `把 ${n} 条消息设为无关消息（加为“不属于任何意图”的例句，在第 ${p.base_version} 版上修改）`;
    if (body.action === "new_intent") return `新建意图「${p.label}」（${p.intent}），用 ${n} 条消息作例句`;
    return `把 ${n} 条消息加为意图「${p.label}」的例句（在第 ${p.base_version} 版上修改）`;
  }

  function addExample(group, select) {
    if (!select.value) {
      status.textContent = "请先在这一行选择要加入例句的意图";
      select.focus();
      return;
    }
    run({ action: "add_example", messages: group.texts, intent: select.value });
  }

  async function run(body) {
    pending = null;
    panel.hidden = false;
    saveButton.disabled = true;
    previewWhat.textContent = "";
    previewSummary.textContent = "正在用修改后的内容训练一个预览用的匹配模型（约一两秒）…";
    previewList.replaceChildren();
    previewSkipped.textContent = "";
    previewStatus.textContent = "";
    previewStatus.classList.remove("error");
    panel.scrollIntoView({ block: "nearest" });
    try {
      const { data } = await api("POST", "/v1/inbox/preview", body);
      pending = { body, preview: data };
      previewWhat.textContent = describe(body, data);
      const total = data.messages.length;
      previewSummary.textContent = body.action === "out_of_scope"
        ? `保存后这些消息会被当作无关消息，不再给建议：${data.fixed}/${total} 条`
        : `保存后这些消息会匹配到：「${data.label}」 ${data.fixed}/${total} 条`;
      previewList.replaceChildren(...data.messages.map((m) => el("li", { class: m.fixed ? "fixed" : "" },
        el("div", {}, m.text),
        el("small", {}, `现在：${answer(m.before)}`, el("span", { class: "arrow" }, "→"), `保存后：${answer(m.after)}`, m.fixed ? " ✓" : ""))));
      previewSkipped.textContent = data.skipped.length
        ? `不会加入：${data.skipped.map((s) => `「${s.text}」${s.reason}`).join("；")}` : "";
      saveButton.disabled = false;
      saveButton.focus();
    } catch (err) {
      previewSummary.textContent = "";
      previewStatus.textContent = err.message;
      previewStatus.classList.add("error");
    }
  }

  async function save() {
    if (!pending) return;
    const { body, preview } = pending;
    saveButton.disabled = true;
    previewStatus.classList.remove("error");
    previewStatus.textContent = "正在保存…";
    const payload = { ...body };
    if (body.action !== "new_intent") payload.base_version = preview.base_version;
    try {
      const { data } = await api("POST", "/v1/inbox/apply", payload);
      pending = null;
      const what = data.action === "out_of_scope" ? "“不属于任何意图”的例句" : `意图「${data.label}」`;
      previewStatus.replaceChildren(data.live
        ? `已保存为${what}第 ${data.version} 版，已生效。`
        : `已保存为${what}第 ${data.version} 版；正在重建索引，稍后生效。`);
      if (data.action === "new_intent") {
        previewStatus.append(" ", el("a", { href: `/editor/templates/new?intent=${encodeURIComponent(data.intent)}` }, "为它写一条回复模板"));
      }
      await load();
    } catch (err) {
      previewStatus.textContent = err.message;
      previewStatus.classList.add("error");
      saveButton.disabled = err.status === 409 || err.status === 412;
    }
  }

  function askNewIntent(group) {
    newIntentGroup = group;
    dialogForm.reset();
    dialog.showModal();
  }

  dialogForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!dialogForm.reportValidity() || !newIntentGroup) return;
    const f = new FormData(dialogForm);
    const newIntent = { id: f.get("id").trim(), label: f.get("label").trim(), category: f.get("category").trim(), priority: f.get("priority") };
    dialog.close();
    run({ action: "new_intent", messages: newIntentGroup.texts, new_intent: newIntent });
  });
  document.getElementById("new-intent-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("preview-cancel").addEventListener("click", () => { pending = null; panel.hidden = true; });
  saveButton.addEventListener("click", save);
  filters.addEventListener("submit", (e) => { e.preventDefault(); load(); });

  const initial = new URLSearchParams(location.search);
  for (const [k, v] of initial) if (filters.elements[k]) filters.elements[k].value = v;
  load();
})();
