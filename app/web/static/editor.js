// The editor page for one template, intent or rule: drafts, publishing with versions,
// deletion, history, the character diff, rollback; conflicts merged; an expired session signed in again.
"use strict";
(() => {
  const { api, el } = shouhou;
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

  // The template preview, the form view and 试一条消息 are in forms.js.

  // -- state: what was last saved or loaded, the version an edit is based on ------------------------

  const label = doc.dataset.label || "内容";
  let published = doc.dataset.published === "true";
  let hasDraft = Boolean(doc.dataset.draftAuthor);
  let baseline = source.value; // what the server has for this page: a published version or the draft
  let leaving = false;
  const storageKey = () => `shouhou-edit:${plural}:${key || "new"}`;
  const dirty = () => source.value !== baseline;

  function pad(n) { return String(n).padStart(2, "0"); }
  // "2026-12-01 14:03" in the browser's time zone
  function when(iso) {
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  // the store's author of the bundled content ("bundled", "bundled-update") is no person
  function authorName(author) {
    return author && author.startsWith("bundled") ? "系统" : author;
  }

  // "第 3 版 · 回滚到第 1 版 · 小美 · 2026-12-01 14:03"
  function versionLine(v) {
    const parts = [`第 ${v.version} 版`];
    if (v.deleted) parts.push("已删除");
    if (v.comment) parts.push(v.comment);
    parts.push(authorName(v.author), when(v.created_at));
    return parts.join(" · ");
  }

  function notice(text, kind = "") {
    const box = $("edit-notice");
    if (!box) return;
    box.replaceChildren(text ? el("p", { class: `notice ${kind}`.trim() }, text) : "");
  }

  function setDraftState(draft) {
    hasDraft = Boolean(draft);
    if ($("draft-badge")) $("draft-badge").hidden = !hasDraft;
    if ($("discard-draft")) $("discard-draft").hidden = !hasDraft;
    if (!draft) return;
    const current = $("version") ? Number($("version").textContent) : null;
    const behind = published && current && version && current !== version
      ? `草稿基于第 ${version} 版，之后又有人发布到了第 ${current} 版，发布时会请您合并。` : "";
    notice(`正在编辑草稿（${draft.author} 于 ${when(draft.saved_at)} 保存，尚未发布）。草稿不会推荐给客服，发布后才生效。${behind}`);
  }

  function setSource(text) {
    source.value = text;
    source.dispatchEvent(new Event("input", { bubbles: true })); // the form view and the preview follow
  }

  async function flushForm() {
    if (window.shouhouForm && typeof window.shouhouForm.flush === "function") await window.shouhouForm.flush();
  }

  // -- an expired session: keep the edit, sign in again in a dialog, then carry on ------------------

  function keepEdit() {
    try {
      sessionStorage.setItem(storageKey(), JSON.stringify({ source: source.value, version, at: new Date().toISOString() }));
    } catch (e) { /* storage full or disabled: the edit is still in the page */ }
  }

  function forgetEdit() {
    try { sessionStorage.removeItem(storageKey()); } catch (e) { /* nothing kept */ }
  }

  function restoreEdit() {
    let kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(storageKey()) || "null"); } catch (e) { kept = null; }
    if (!kept || typeof kept.source !== "string" || kept.source === source.value) return;
    setSource(kept.source);
    if (Number.isInteger(kept.version)) version = kept.version;
    notice(`已恢复您登录过期前未保存的修改（${when(kept.at)}，基于第 ${version} 版）。请检查后再保存。`, "restored");
  }

  function signIn() {
    const dialog = $("relogin");
    const form = $("relogin-form");
    const error = $("relogin-error");
    error.textContent = "";
    $("relogin-username").value = $("relogin-username").value || doc.dataset.username || "";
    $("relogin-password").value = "";
    return new Promise((resolve) => {
      const done = (ok) => {
        form.removeEventListener("submit", submit);
        $("relogin-cancel").removeEventListener("click", cancel);
        dialog.removeEventListener("cancel", cancel);
        if (dialog.open) dialog.close();
        resolve(ok);
      };
      const cancel = (e) => { if (e) e.preventDefault(); done(false); }; // the button, or Esc
      async function submit(e) {
        e.preventDefault();
        error.textContent = "";
        $("relogin-submit").disabled = true;
        try {
          const { data } = await api("POST", "/v1/session", {
            username: $("relogin-username").value.trim(), password: $("relogin-password").value,
          });
          let meta = document.querySelector('meta[name="csrf-token"]');
          if (!meta) { meta = el("meta", { name: "csrf-token" }); document.head.append(meta); }
          meta.setAttribute("content", data.csrf_token);
          for (const input of document.querySelectorAll('input[name="csrf_token"]')) input.value = data.csrf_token;
          done(true);
        } catch (err) {
          error.textContent = err.message;
        } finally {
          $("relogin-submit").disabled = false;
        }
      }
      form.addEventListener("submit", submit);
      $("relogin-cancel").addEventListener("click", cancel);
      dialog.addEventListener("cancel", cancel);
      dialog.showModal();
      $(doc.dataset.username ? "relogin-password" : "relogin-username").focus();
    });
  }

  // Run a write; on 401 keep the edit, ask to sign in again and run it once more.
  async function withLogin(write) {
    try {
      return await write();
    } catch (err) {
      if (err.status !== 401) throw err;
      keepEdit();
      $("save-status").textContent = "登录已过期，修改已保留在本页";
      if (!(await signIn())) throw Object.assign(new Error("登录已过期，未保存；您的修改仍在本页，重新登录后可再保存"), { status: 401 });
      return write();
    }
  }

  // -- publish, draft, discard, delete ---------------------------------------------------------------

  function afterSaved(sent) {
    baseline = sent;
    forgetEdit();
    showProblems([]);
    $("conflict").hidden = true;
  }

  // Go to another page (or reload this one); ``flash`` is said in the save status there.
  function goTo(path, flash) {
    leaving = true;
    if (flash) try { sessionStorage.setItem("shouhou-flash", flash); } catch (e) { /* not said */ }
    window.location.href = path;
  }

  function showFlash() {
    let flash = null;
    try { flash = sessionStorage.getItem("shouhou-flash"); sessionStorage.removeItem("shouhou-flash"); } catch (e) { flash = null; }
    if (flash && $("save-status")) $("save-status").textContent = flash;
  }

  async function save() {
    const status = $("save-status");
    status.textContent = "正在发布…";
    // built at each try: a retry after signing in again sends the edit as it is then
    let sent = source.value;
    const send = async () => {
      await flushForm();
      sent = source.value;
      const body = { source: sent, comment: $("comment").value, confirm_warnings: $("confirm").checked };
      return key
        ? api("POST", `/v1/${plural}/${key}/publish`, { ...body, base_version: published ? version : null },
          published ? { "If-Match": `"${version}"` } : {})
        : api("POST", `/v1/${plural}`, body);
    };
    try {
      const { data } = await withLogin(send);
      const fresh = !published || data.id !== key;
      version = data.version;
      published = true;
      status.textContent = data.live === false
        ? `已保存并发布为第 ${version} 版，正在生效（重新训练需要几秒钟）`
        : `已保存并发布为第 ${version} 版，立即生效`;
      $("confirm").checked = false;
      $("confirm-wrap").hidden = true;
      afterSaved(sent);
      setDraftState(null);
      notice("");
      if (fresh) { goTo(`/editor/${plural}/${data.id}`, status.textContent); return; }
      if ($("version")) $("version").textContent = version;
      loadHistory();
    } catch (err) {
      status.textContent = "未保存";
      const d = err.data || {};
      if (err.status === 409 || err.status === 412) {
        showProblems([{ message: `${d.detail || err.message}` }], "保存冲突：");
        await showConflict();
      } else if (d.needs_confirmation) {
        $("confirm-wrap").hidden = false;
        showProblems(d.errors || [], "有需要确认的内容，确认后才能发布：");
      } else {
        showProblems(d.errors || [{ message: err.message }], d.detail || "未保存：");
      }
    }
  }

  async function saveDraft() {
    const status = $("save-status");
    status.textContent = "正在保存草稿…";
    let sent = source.value;
    const send = async () => {
      await flushForm();
      sent = source.value;
      return key
        ? api("PUT", `/v1/${plural}/${key}/draft`, { source: sent, base_version: published ? version : null })
        : api("POST", `/v1/${plural}/draft`, { source: sent });
    };
    try {
      const { data } = await withLogin(send);
      afterSaved(sent);
      status.textContent = "草稿已保存（不会推荐给客服，发布后才生效）";
      if (!key) { goTo(`/editor/${plural}/${data.id}`, status.textContent); return; }
      setDraftState(data);
      loadHistory();
    } catch (err) {
      status.textContent = "草稿未保存";
      const d = err.data || {};
      showProblems(d.errors || [{ message: err.message }], d.detail || "草稿未保存：");
    }
  }

  async function discardDraft() {
    if (!window.confirm("丢弃这份草稿吗？草稿里的修改会丢失，已发布的版本不受影响。")) return;
    try {
      await withLogin(() => api("DELETE", `/v1/${plural}/${key}/draft`));
      forgetEdit();
      goTo(published ? window.location.pathname : doc.dataset.listUrl);
    } catch (err) {
      showProblems([{ message: err.message }], "草稿未丢弃：");
    }
  }

  async function remove() {
    const extra = hasDraft ? "草稿也会一起丢弃。" : "";
    if (!window.confirm(`确定删除这个${label}吗？删除后不再推荐给客服。${extra}历史版本会保留，需要时可以恢复。`)) return;
    try {
      await withLogin(() => api("DELETE", `/v1/${plural}/${key}?base_version=${version}`, undefined, { "If-Match": `"${version}"` }));
      forgetEdit();
      goTo(`${doc.dataset.listUrl}${doc.dataset.listUrl.includes("?") ? "&" : "?"}deleted_id=${encodeURIComponent(key)}`);
    } catch (err) {
      const d = err.data || {};
      showProblems(d.errors && d.errors.length ? d.errors : [{ message: err.message }], d.detail ? `未删除：${d.detail}` : "未删除：");
    }
  }

  async function restore() {
    const to = Number(doc.dataset.restoreVersion);
    if (!window.confirm(`恢复第 ${to} 版吗？恢复后会生成一个新版本，立即生效。`)) return;
    try {
      const { data } = await withLogin(() => api("POST", `/v1/${plural}/${key}/rollback`, { version: to }, { "If-Match": `"${version}"` }));
      goTo(window.location.pathname, `已恢复为第 ${data.version} 版，立即生效`);
    } catch (err) {
      showProblems([{ message: err.message }], "未恢复：");
    }
  }

  // -- history and the character diff ------------------------------------------------------------------

  async function loadHistory() {
    if (!key || !$("history")) return;
    let data;
    try {
      ({ data } = await api("GET", `/v1/${plural}/${key}/versions`));
    } catch (err) {
      if (err.status === 404) { $("history").replaceChildren(el("li", { class: "muted" }, "还没有发布过的版本。")); return; }
      throw err;
    }
    const list = $("history");
    const rows = data.versions.map((v) => el("li", { "data-version": v.version, class: v.deleted ? "deleted" : null },
      versionLine(v),
      canEdit && published && v.version !== version && !v.deleted && doc.dataset.deleted !== "true"
        ? el("button", { type: "button", class: "link", onclick: () => rollback(v.version) }, "回滚到此版")
        : null));
    if (data.draft) rows.unshift(el("li", { class: "draft" }, `草稿 · 尚未发布 · ${data.draft.author} · ${when(data.draft.saved_at)}`));
    list.replaceChildren(...rows);
    const live = data.versions.filter((v) => !v.deleted);
    for (const id of ["diff-a", "diff-b"]) {
      $(id).replaceChildren(...live.map((v) => el("option", { value: v.version }, `第 ${v.version} 版`)));
    }
    if (live.length > 1) $("diff-a").value = live[1].version;
  }

  async function rollback(to) {
    if (dirty() && !window.confirm("您有未保存的修改，回滚会丢掉它们。继续吗？")) return;
    if (!window.confirm(`回滚到第 ${to} 版吗？这会生成一个新版本，立即生效。`)) return;
    try {
      const { data } = await withLogin(() => api("POST", `/v1/${plural}/${key}/rollback`, { version: to }, { "If-Match": `"${version}"` }));
      forgetEdit();
      goTo(window.location.pathname, `已回滚：第 ${data.version} 版与第 ${to} 版相同，立即生效`);
    } catch (err) {
      showProblems([{ message: err.message }], "回滚失败：");
    }
  }

  // One line of a structured diff: the changed characters inside <del>/<ins>.
  function diffRow(r) {
    if (r.op === "skip") return el("div", { class: "diff-skip" }, `…… 未改动的 ${r.lines} 行 ……`);
    const kind = { equal: "same", delete: "del", insert: "add" }[r.op];
    const sign = { equal: " ", delete: "−", insert: "+" }[r.op];
    const said = { equal: "", delete: "删除的行：", insert: "新增的行：" }[r.op];
    const content = r.op === "equal"
      ? [r.text]
      : r.parts.map((p) => (p.changed ? el(r.op === "delete" ? "del" : "ins", {}, p.text) : p.text));
    return el("div", { class: `diff-row ${kind}` },
      el("span", { class: "ln", "aria-hidden": "true" }, r.old ?? ""),
      el("span", { class: "ln", "aria-hidden": "true" }, r.new ?? ""),
      el("span", { class: "sign", "aria-hidden": "true" }, sign),
      el("span", { class: "line" }, said ? el("span", { class: "sr" }, said) : null, ...content));
  }

  function renderDiff(box, lines) {
    box.hidden = false;
    box.replaceChildren(...(lines.length ? lines.map(diffRow) : [el("p", { class: "muted" }, "（两个版本相同）")]));
  }

  async function diff() {
    const { data } = await api("GET", `/v1/${plural}/${key}/diff?a=${$("diff-a").value}&b=${$("diff-b").value}`);
    renderDiff($("diff-out"), data.lines);
  }

  // -- a conflict: who changed what, and a three-way merge ----------------------------------------

  let merging = null;

  async function showConflict() {
    let data;
    try {
      ({ data } = await api("POST", `/v1/${plural}/${key}/merge`, { source: source.value, base_version: version }));
    } catch (err) {
      $("problems").append(el("p", {}, el("a", { href: window.location.pathname }, "重新载入最新版本"), "（请先复制您的修改）"));
      return;
    }
    const panel = $("conflict");
    panel.hidden = false;
    loadHistory(); // the newer versions show in the history too
    $("conflict-who").replaceChildren(
      el("p", {}, `在您编辑期间（您基于第 ${data.base_version} 版），有人保存了新版本，现在是第 ${data.current_version} 版：`),
      el("ul", { class: "history" }, data.newer.map((v) => el("li", {}, versionLine(v)))));
    renderDiff($("conflict-diff"), data.theirs_diff);
    if (data.deleted) {
      merging = null;
      $("conflict-summary").textContent = `对方已删除了这个${label}。如需保留您的修改，请复制后新建。`;
      $("conflict-chunks").replaceChildren();
      $("merge-apply").hidden = true;
      return;
    }
    $("merge-apply").hidden = false;
    merging = { current: data.current_version, chunks: data.chunks, choices: data.chunks.map(() => null) };
    $("conflict-summary").textContent = data.conflicts
      ? `有 ${data.conflicts} 处两边改了同一段，请逐处选择用谁的；其余修改已自动合并。`
      : "您和对方改的是不同的地方，已自动合并，检查后点“合并并发布”。";
    renderChunks();
    panel.scrollIntoView({ block: "start" });
  }

  function renderChunks() {
    let n = 0;
    $("conflict-chunks").replaceChildren(...merging.chunks.map((c, i) => {
      if (!c.conflict) return el("pre", { class: `merged ${c.origin}` }, c.text);
      n += 1;
      const pick = (choice) => { merging.choices[i] = choice; renderChunks(); };
      const chosen = merging.choices[i];
      return el("div", { class: "merge-conflict", role: "group", "aria-label": `第 ${n} 处冲突` },
        el("p", {}, el("strong", {}, `第 ${n} 处冲突`), chosen ? `：已选${chosen === "yours" ? "我的" : "对方的"}` : "：请选择"),
        el("div", { class: "sides" },
          el("div", { class: `side yours${chosen === "yours" ? " chosen" : ""}` }, el("h4", {}, "我的"), el("pre", {}, c.yours || "（删掉了）"),
            el("button", { type: "button", class: "use-yours", "aria-pressed": chosen === "yours" ? "true" : "false", onclick: () => pick("yours") }, "用我的")),
          el("div", { class: `side theirs${chosen === "theirs" ? " chosen" : ""}` }, el("h4", {}, "对方的"), el("pre", {}, c.theirs || "（删掉了）"),
            el("button", { type: "button", class: "use-theirs", "aria-pressed": chosen === "theirs" ? "true" : "false", onclick: () => pick("theirs") }, "用对方的"))));
    }));
    $("merge-apply").disabled = merging.choices.some((c, i) => merging.chunks[i].conflict && !c);
  }

  async function applyMerge() {
    if (!merging) return;
    const text = merging.chunks.map((c, i) => (c.conflict ? c[merging.choices[i]] : c.text)).join("");
    setSource(text);
    version = merging.current;
    merging = null;
    $("conflict").hidden = true;
    await save();
  }

  if ($("save")) $("save").addEventListener("click", save);
  if ($("save-draft")) $("save-draft").addEventListener("click", saveDraft);
  if ($("discard-draft")) $("discard-draft").addEventListener("click", discardDraft);
  if ($("delete")) $("delete").addEventListener("click", remove);
  if ($("restore")) $("restore").addEventListener("click", restore);
  if ($("diff")) $("diff").addEventListener("click", diff);
  $("merge-apply").addEventListener("click", applyMerge);
  $("merge-cancel").addEventListener("click", () => { merging = null; $("conflict").hidden = true; });
  // Leaving with unsaved edits: the browser asks on reload/close; links in the page ask in Chinese.
  window.addEventListener("beforeunload", (e) => {
    if (leaving || !canEdit || !dirty()) return;
    e.preventDefault();
    e.returnValue = "";
  });
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[href]");
    if (!link || !canEdit || !dirty() || link.target === "_blank" || e.defaultPrevented) return;
    if (link.getAttribute("href").startsWith("#")) return;
    if (window.confirm("您有未保存的修改，离开后会丢失。确定离开这个页面吗？")) leaving = true;
    else e.preventDefault();
  });
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (e.defaultPrevented || form.id === "relogin-form" || form.method === "dialog" || !form.action || !canEdit || !dirty()) return;
    if (window.confirm("您有未保存的修改，离开后会丢失。确定离开这个页面吗？")) leaving = true;
    else e.preventDefault();
  });

  if (hasDraft) setDraftState({ author: doc.dataset.draftAuthor, saved_at: doc.dataset.draftAt });
  if (canEdit) restoreEdit();
  showFlash();
  loadHistory();
})();
