// The editor page for one template, intent or rule: live preview, save with versions, history, diff, rollback.
"use strict";
(() => {
  const { api, el, debounce, highlighted, severityName } = shouhou;
  const $ = (id) => document.getElementById(id);
  const doc = $("doc");
  const plural = doc.dataset.kind;
  let key = doc.dataset.key;
  let version = Number(doc.dataset.version);
  const canEdit = doc.dataset.canEdit === "true";
  const source = $("source");

  function showProblems(problems, heading) {
    const box = $("problems");
    box.replaceChildren();
    if (!problems || !problems.length) return;
    box.append(el("div", { class: "notice error", role: "alert" },
      el("strong", {}, heading || "需要修改："),
      el("ul", {}, problems.map((p) => el("li", {}, p.line ? `第${p.line}行：` : "", p.message.replace(/^第\d+行：/, ""))))));
  }

  function flagItem(f) {
    return el("li", { class: `flag sev-${f.severity}` }, el("span", { class: "sev" }, severityName[f.severity] || f.severity),
      el("q", {}, f.excerpt), " ", f.message, f.suggestion ? el("div", { class: "safer" }, "可以这样说：", f.suggestion) : null);
  }

  async function preview() {
    if (plural !== "templates") return;
    try {
      const { data } = await api("POST", "/v1/templates/preview", { source: source.value });
      const box = $("preview");
      box.replaceChildren(data.text === null
        ? el("p", { class: "text muted" }, "无法预览，请先修正下面的问题。")
        : el("p", { class: "text" }, highlighted(data.text, data.flags)));
      $("flags").replaceChildren(...data.flags.map(flagItem));
      showProblems(data.problems);
    } catch (err) {
      showProblems([{ message: err.message }]);
    }
  }

  async function save() {
    const status = $("save-status");
    status.textContent = "正在保存…";
    const body = { source: source.value, comment: $("comment").value, confirm_warnings: $("confirm").checked };
    try {
      const { data } = key
        ? await api("PUT", `/v1/${plural}/${key}`, body, { "If-Match": `"${version}"` })
        : await api("POST", `/v1/${plural}`, body);
      version = data.version;
      status.textContent = `已保存为第 ${version} 版，立即生效`;
      $("confirm").checked = false;
      $("confirm-wrap").hidden = true;
      showProblems([]);
      if (!key) { window.location.href = `/editor/${plural}/${data.id}`; return; }
      if ($("version")) $("version").textContent = version;
      loadHistory();
    } catch (err) {
      status.textContent = "未保存";
      const d = err.data || {};
      if (err.status === 409 || err.status === 412) {
        showProblems([{ message: `${d.detail || err.message}` }], "保存冲突：");
        $("problems").append(el("p", {}, el("a", { href: window.location.pathname }, `重新载入第 ${d.current_version} 版`),
          "（你的修改不会自动保留，请先复制）"));
      } else if (d.needs_confirmation) {
        $("confirm-wrap").hidden = false;
        showProblems(d.errors || [], "有 warn 级提示，确认后才能保存：");
      } else {
        showProblems(d.errors || [{ message: err.message }], d.detail || "未保存：");
      }
    }
  }

  async function loadHistory() {
    if (!key || !$("history")) return;
    const { data } = await api("GET", `/v1/${plural}/${key}/versions`);
    const list = $("history");
    list.replaceChildren(...data.versions.map((v) => el("li", { "data-version": v.version },
      `第${v.version}版 · ${v.author} · ${new Date(v.created_at).toLocaleString("zh-CN")}`, v.comment ? ` · ${v.comment}` : "",
      v.deleted ? "（已删除）" : "",
      canEdit && v.version !== version && !v.deleted
        ? el("button", { type: "button", class: "link", onclick: () => rollback(v.version) }, " 回滚到此版")
        : null)));
    for (const id of ["diff-a", "diff-b"]) {
      $(id).replaceChildren(...data.versions.map((v) => el("option", { value: v.version }, `第${v.version}版`)));
    }
    if (data.versions.length > 1) $("diff-a").value = data.versions[1].version;
  }

  async function rollback(to) {
    if (!window.confirm(`回滚到第${to}版？这会生成一个新版本。`)) return;
    try {
      const { data } = await api("POST", `/v1/${plural}/${key}/rollback`, { version: to }, { "If-Match": `"${version}"` });
      window.location.reload();
      return data;
    } catch (err) {
      showProblems([{ message: err.message }], "回滚失败：");
    }
  }

  async function diff() {
    const { data } = await api("GET", `/v1/${plural}/${key}/diff?a=${$("diff-a").value}&b=${$("diff-b").value}`);
    const out = $("diff-out");
    out.hidden = false;
    out.replaceChildren(...(data.diff || "（两个版本相同）").split("\n").map((line) =>
      el("div", { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "" }, line || " ")));
  }

  async function tryMessage() {
    const message = $("try-message").value.trim();
    if (!message) return;
    const box = $("try-result");
    try {
      const { data } = await api("POST", "/v1/intents/try", { message });
      box.replaceChildren();
      if (!data.intents.length) {
        box.append(el("p", { class: "no-match" }, "没有把握匹配到任何意图",
          data.best_rejected ? `（最接近：${data.best_rejected.label} ${Math.round(data.best_rejected.score * 100)}%，门槛 ${Math.round(data.threshold * 100)}%）` : ""));
      }
      box.append(el("ul", { class: "suggestions" }, data.intents.map((i) => el("li", { class: "suggestion" },
        el("strong", {}, `${i.label}（${i.id}）${Math.round(i.score * 100)}%`),
        el("ul", {}, i.evidence.map((e) => el("li", {}, { keyword: "关键词", example: "相似例句", fuzzy: "近似例句" }[e.kind] || e.kind,
          "：", e.text, e.kind === "keyword" ? "" : `（相似度 ${Math.round(e.similarity * 100)}%）`)))))));
    } catch (err) {
      box.replaceChildren(el("p", { class: "error" }, err.message));
    }
  }

  if (plural === "templates") {
    source.addEventListener("input", debounce(preview, 300));
    preview();
  }
  if ($("save")) $("save").addEventListener("click", save);
  if ($("diff")) $("diff").addEventListener("click", diff);
  if ($("try")) $("try").addEventListener("click", tryMessage);
  loadHistory();
})();
