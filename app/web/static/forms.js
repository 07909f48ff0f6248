// The editor page's form view (表单) beside the file text (源文件), the template preview and the
// intent and rule try-outs.  The textarea #source stays the one truth editor.js saves: a changed
// field is written into it through /v1/{kind}/form/write; the text is read back into the form
// through /v1/{kind}/form/read when the form is shown again.
"use strict";
(() => {
  const { api, el, debounce, highlighted } = shouhou;
  const $ = (id) => document.getElementById(id);
  const doc = $("doc");
  const source = $("source");
  const panel = $("form-panel");
  if (!doc || !source || !panel) return;
  const plural = doc.dataset.kind;
  // template / intent / rule / couriers / domain / variables; "" for a word list edited only as text (承诺用语)
  const formKind = doc.dataset.formKind ?? "";
  const formBase = plural === "lexicon" ? `/v1/lexicon/${doc.dataset.key}` : `/v1/${plural}`;
  const canEdit = doc.dataset.canEdit === "true";
  const isNew = panel.dataset.new === "true";
  const SEVERITY = shouhou.severityName; // 禁止发送 / 需要确认 / 提示
  const PRIORITY = { high: "高", medium: "中", low: "低" };

  let fields = null; // what the form shows, in the API's shape
  let choices = {}; // intents, variables, categories for the selects and chips
  let ownInput = false; // an input event on #source that forms.js itself dispatched
  let stale = false; // #source changed outside the form since it was read
  let writeTimer = null;
  let unwritten = false; // a field changed that is not in #source yet (a write failed: the next one sends all)
  let writing = Promise.resolve();

  // -- the source text <-> the fields ----------------------------------------------------------------

  function setSource(text) {
    if (text === source.value) return;
    source.value = text;
    ownInput = true;
    try { source.dispatchEvent(new Event("input", { bubbles: true })); } finally { ownInput = false; }
  }

  async function writeNow() {
    if (!fields) return;
    const snapshot = JSON.parse(JSON.stringify(fields));
    unwritten = false;
    try {
      // Rows (couriers, variables) name their place in the text the form was read from: that text is
      // what they are written into, every time (the fields carry every change since).
      const base = ROWS_KINDS.includes(formKind) && readSource !== null ? readSource : source.value;
      const { data } = await api("POST", `${formBase}/form/write`, { source: base, fields: snapshot });
      if (data.source !== null) setSource(data.source);
      else showUnreadable(data.problems);
      setFormStatus("");
    } catch (err) {
      unwritten = true;
      setFormStatus(err.status === 401
        ? "登录已过期：表单的修改还在本页，重新登录后会写入文件"
        : `表单的修改暂时没有写入文件：${err.message}`, true);
    }
  }

  function scheduleWrite() {
    unwritten = true;
    clearTimeout(writeTimer);
    writeTimer = setTimeout(() => { writeTimer = null; writing = writing.then(writeNow); }, 250);
  }

  // Completes any pending write; editor.js awaits it before saving.
  async function flush() {
    clearTimeout(writeTimer);
    writeTimer = null;
    await writing;
    if (unwritten) {
      writing = writing.then(writeNow);
      await writing;
    }
  }

  let readSeq = 0;
  let readSource = null; // the text the fields were read from
  const ROWS_KINDS = ["couriers", "variables"];

  async function readIntoForm() {
    stale = false;
    const seq = ++readSeq;
    try {
      const sent = source.value;
      const { data } = await api("POST", `${formBase}/form/read`, { source: sent });
      if (seq !== readSeq) return; // the text changed again: a newer read is on its way
      readSource = sent;
      choices = data.choices || {};
      if (data.fields === null) { fields = null; showUnreadable(data.problems); return; }
      fields = data.fields;
      render();
    } catch (err) {
      if (seq !== readSeq) return;
      fields = null;
      if (err.status === 403) { // can view, cannot edit this kind: the file text, read-only
        panel.replaceChildren(el("p", { class: "notice" }, "您只能查看这个文件，请看“源文件”。"));
        await showTab("source");
        return;
      }
      panel.replaceChildren(el("div", { class: "notice error", role: "alert" }, `表单载入失败：${err.message}`,
        " ", el("button", { type: "button", onclick: () => readIntoForm() }, "重试")));
    }
  }

  function showUnreadable(problems) {
    fields = null;
    panel.replaceChildren(el("div", { class: "notice error", role: "alert" },
      el("p", {}, "源文件有格式问题，暂时无法用表单显示："),
      el("ul", {}, (problems || []).map((p) => el("li", {}, p.line ? `第${p.line}行：` : "", p.message))),
      el("p", {}, el("button", { type: "button", onclick: () => showTab("source") }, "去源文件修改"))));
  }

  function setFormStatus(text, error = false) {
    const box = $("form-status");
    if (box) { box.textContent = text; box.className = error ? "hint error" : "hint"; }
  }

  // -- tabs ------------------------------------------------------------------------------------------------

  const tabs = { form: $("tab-form"), source: $("tab-source") };
  const panels = { form: panel, source: $("source-panel") };
  let current = "form";

  async function showTab(name) {
    if (name === current) return;
    if (name === "source") await flush();
    current = name;
    for (const [k, tab] of Object.entries(tabs)) {
      tab.setAttribute("aria-selected", k === name ? "true" : "false");
      tab.tabIndex = k === name ? 0 : -1;
      panels[k].hidden = k !== name;
    }
    if (name === "form" && (stale || fields === null)) await readIntoForm();
  }

  for (const [name, tab] of Object.entries(tabs)) {
    tab.addEventListener("click", () => showTab(name));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      const next = name === "form" ? "source" : "form";
      showTab(next).then(() => tabs[next].focus());
    });
  }

  source.addEventListener("input", () => {
    if (ownInput) return;
    stale = true;
    if (current === "form") rereadSoon(); // a restored edit or a merge replaced the text
  });
  const rereadSoon = debounce(() => { if (stale && current === "form") readIntoForm(); }, 200);

  // -- small builders -----------------------------------------------------------------------------------

  let uid = 0;
  const nextId = (base) => `${base}-${++uid}`;

  function field(labelText, control, hint) {
    const id = control.id || nextId("f");
    control.id = id;
    return el("div", { class: "ff" }, el("label", { for: id }, labelText), control, hint ? el("p", { class: "hint" }, hint) : null);
  }

  function textInput(id, value, onChange, attrs = {}) {
    return el("input", { id, value: value ?? "", readonly: !canEdit, ...attrs,
      oninput: (e) => { onChange(e.target.value); scheduleWrite(); } });
  }

  function textArea(id, value, onChange, attrs = {}) {
    const ta = el("textarea", { id, rows: 3, readonly: !canEdit, ...attrs,
      oninput: (e) => { onChange(e.target.value); scheduleWrite(); } });
    ta.value = value ?? "";
    return ta;
  }

  function select(id, options, value, onChange) {
    const s = el("select", { id, disabled: !canEdit, onchange: (e) => { onChange(e.target.value); scheduleWrite(); } },
      options.map(([v, text]) => el("option", { value: v }, text)));
    if (!options.some(([v]) => v === value) && value) s.append(el("option", { value }, value));
    s.value = value;
    return s;
  }

  // An editable list: one input per item, remove buttons, an add box; optionally a search filter and
  // notes per item (from the examples check).  ``items`` is an array of {text, data} kept in place.
  function listEditor({ id, label, items, placeholder, search = false, onChange }) {
    const list = el("ol", { id, class: "list-items", "aria-label": label });
    const count = el("span", { class: "hint list-count" });
    const filter = search ? el("input", { id: `${id}-search`, type: "search", placeholder: `搜索${label}`, "aria-label": `搜索${label}` }) : null;
    const onlyNoted = search ? el("input", { type: "checkbox", id: `${id}-noted` }) : null;
    const notes = new Map(); // index -> note nodes
    const noteSpans = new Map(); // index -> the row's note element, as last drawn

    function changed() { onChange(); scheduleWrite(); draw(); }

    function row(item, i) {
      const n = i + 1;
      const note = el("span", { class: "item-note" }, notes.get(i) || []);
      noteSpans.set(i, note);
      if (item.data && Object.keys(item.data).some((k) => k !== "text")) { // an example with settings: edited in 源文件
        return el("li", { class: "locked", "data-index": i, title: "这条例句带有设置，请在源文件中修改" },
          el("span", { class: "item-text" }, item.text), settingsNote(item.data),
          canEdit ? el("button", { type: "button", class: "link remove", "aria-label": `删除第 ${n} 条${label}`,
            onclick: () => { items.splice(i, 1); changed(); } }, "删除") : null, note);
      }
      const input = el("input", { value: item.text, "aria-label": `第 ${n} 条${label}`, readonly: !canEdit, maxlength: 500,
        oninput: (e) => { item.text = e.target.value; onChange(); scheduleWrite(); } });
      return el("li", { "data-index": i }, input,
        canEdit ? el("button", { type: "button", class: "link remove", "aria-label": `删除第 ${n} 条${label}`,
          onclick: () => { items.splice(i, 1); changed(); } }, "删除") : null, note);
    }

    function draw() {
      const q = filter ? filter.value.trim() : "";
      const noted = onlyNoted && onlyNoted.checked;
      const rows = items.map((item, i) => [item, i])
        .filter(([item, i]) => (!q || item.text.includes(q)) && (!noted || notes.has(i)));
      noteSpans.clear();
      list.replaceChildren(...rows.map(([item, i]) => row(item, i)));
      count.textContent = q || noted ? `共 ${items.length} 条，显示 ${rows.length} 条` : `共 ${items.length} 条`;
    }

    const addBox = el("input", { id: `${id}-new`, placeholder: placeholder || `添加${label}`, "aria-label": `新的${label}`, maxlength: 500 });
    function add() {
      const text = addBox.value.trim();
      if (!text) return;
      items.push({ text, data: null });
      addBox.value = "";
      if (filter) filter.value = "";
      if (onlyNoted) onlyNoted.checked = false;
      changed();
      list.scrollTop = list.scrollHeight; // the new item is the last one
      addBox.focus();
    }
    addBox.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); add(); } });
    if (filter) filter.addEventListener("input", draw);
    if (onlyNoted) onlyNoted.addEventListener("change", draw);
    draw();
    const lockedHint = items.some((i) => i.data && Object.keys(i.data).some((k) => k !== "text"))
      ? el("p", { class: "hint" }, "带灰色设置说明的例句（指定了命中片段、店铺或前文）请在“源文件”中修改，这里可以删除。") : null;
    const wrap = el("fieldset", { class: "list-editor" }, el("legend", {}, label, " ", count),
      lockedHint,
      filter ? el("div", { class: "list-filter" }, filter,
        el("label", { class: "check-row", for: `${id}-noted` }, onlyNoted, "只看有提示的")) : null,
      list,
      canEdit ? el("div", { class: "add-row" }, addBox, el("button", { type: "button", id: `${id}-add`, onclick: add }, "添加")) : null);
    // New notes go into the rows as drawn: the example being typed in keeps the focus.
    wrap.setNotes = (map) => {
      notes.clear();
      for (const [k, v] of map) notes.set(k, v);
      if (onlyNoted && onlyNoted.checked && !list.contains(document.activeElement)) { draw(); return; }
      for (const [i, span] of noteSpans) span.replaceChildren(...(notes.get(i) || []));
    };
    return wrap;
  }

  // What an example with settings adds, in words: 命中「保证明天到」 · 店铺设置 · 前文 2 句
  function settingsNote(data) {
    const parts = [];
    if (data.excerpt) parts.push(`命中「${data.excerpt}」`);
    if (data.severity) parts.push(SEVERITY[data.severity] || data.severity);
    if (data.shop) parts.push("店铺设置");
    if (Array.isArray(data.conversation)) parts.push(`前文 ${data.conversation.length} 句`);
    const other = Object.keys(data).filter((k) => !["text", "excerpt", "severity", "shop", "conversation"].includes(k));
    if (other.length) parts.push(`其他设置：${other.join("、")}`);
    return el("span", { class: "settings" }, parts.join(" · ") || "带设置");
  }

  const asItems = (texts) => texts.map((text) => ({ text, data: null }));
  const texts = (items) => items.map((i) => i.text); // blank items are dropped when written

  // -- the template form ----------------------------------------------------------------------------------

  const VAR_RE = /\{[{%]-?\s*([^}%]*?)\s*-?[}%]\}/g;

  // The variables the body uses: the declared ones it still uses (in their order), then the new ones.
  function usedVariables(body, declared) {
    const known = new Set((choices.variables || []).map((v) => v.name));
    const used = [];
    for (const m of body.matchAll(VAR_RE)) {
      for (const word of m[1].match(/[a-z][a-z0-9_]*/g) || []) if (known.has(word) && !used.includes(word)) used.push(word);
    }
    return [...declared.filter((v) => used.includes(v)), ...used.filter((v) => !declared.includes(v))];
  }

  function templateForm() {
    const f = fields;
    const intents = (choices.intents || []).map((i) => [i.id, `${i.label}（${i.id}）`]);
    const labelOf = Object.fromEntries((choices.variables || []).map((v) => [v.name, v.label]));
    const varsNote = el("p", { class: "hint", id: "f-vars" });
    const showVars = () => {
      varsNote.textContent = f.variables.length ? `用到的变量：${f.variables.map((v) => labelOf[v] || v).join("、")}` : "没有用到变量";
    };
    const body = textArea("f-body", f.body, (v) => { f.body = v; f.variables = usedVariables(v, f.variables); showVars(); },
      { rows: 8, class: "body-input", maxlength: 20000 });
    function insertVariable(name) {
      const text = `{{ ${name} }}`;
      const start = body.selectionStart ?? body.value.length;
      const end = body.selectionEnd ?? start;
      body.setRangeText(text, start, end, "end");
      body.focus();
      f.body = body.value;
      if (!f.variables.includes(name)) f.variables.push(name);
      f.variables = usedVariables(f.body, f.variables);
      showVars();
      scheduleWrite();
    }
    const chips = el("div", { class: "var-chips", role: "group", "aria-label": "插入变量" },
      el("span", { class: "hint" }, "点击插入变量："),
      (choices.variables || []).map((v) => el("button", { type: "button", class: "chip var-chip", "data-var": v.name, disabled: !canEdit,
        title: `插入 {{ ${v.name} }}，客服没填时显示【${v.label}】`, onclick: () => insertVariable(v.name) }, v.label)));
    showVars();
    const idInput = isNew ? field("模板编号", textInput("f-id", f.id, (v) => { f.id = v; }),
      "英文小写、数字和下划线，以意图开头，如 greeting/welcome；保存后不能修改") : null;
    return [
      idInput,
      field("标题", textInput("f-title", f.title, (v) => { f.title = v; }, { maxlength: 60 }), "客服在建议列表里看到的名称"),
      field("意图", select("f-intent", intents, f.intent, (v) => {
        if (isNew && f.id.startsWith(`${f.intent}/`)) { f.id = `${v}/${f.id.slice(f.intent.length + 1)}`; if ($("f-id")) $("f-id").value = f.id; }
        f.intent = v;
      }), "买家说什么的时候推荐这条回复"),
      el("div", { class: "ff-row" },
        field("标签", textInput("f-tags", f.tags.join("，"), (v) => { f.tags = v.split(/[,，、\s]+/).filter(Boolean); }), "用逗号分隔，如：标准，简短"),
        field("快捷短语码", textInput("f-shortcode", f.shortcode, (v) => { f.shortcode = v.trim(); }, { maxlength: 16 }), "客服输入 /码 即可调出，如 qxdd1")),
      el("div", { class: "ff" }, el("label", { for: "f-body" }, "正文"), chips, body, varsNote),
    ];
  }

  // -- the intent form -------------------------------------------------------------------------------------

  let exampleList = null;

  function intentForm() {
    const f = fields;
    const examples = asItems(f.examples);
    const keywords = asItems(f.keywords);
    const categories = el("datalist", { id: "f-categories" }, (choices.categories || []).map((c) => el("option", { value: c })));
    exampleList = listEditor({ id: "f-examples", label: "例句", items: examples, search: true,
      placeholder: "买家会怎么说，例如：拍错了 帮我取消一下",
      onChange: () => { f.examples = examples.map((i) => i.text); checkExamplesSoon(); } });
    checkExamplesSoon();
    return [
      isNew ? field("意图编号", textInput("f-id", f.id, (v) => { f.id = v; }), "英文小写、数字和下划线，如 cancel_order；保存后不能修改") : null,
      el("div", { class: "ff-row" },
        field("名称", textInput("f-label", f.label, (v) => { f.label = v; }, { maxlength: 40 })),
        field("分类", textInput("f-category", f.category, (v) => { f.category = v; }, { maxlength: 40, list: "f-categories" })),
        field("优先级", select("f-priority", Object.entries(PRIORITY), f.priority || "medium", (v) => { f.priority = v; }))),
      categories,
      field("说明", textArea("f-description", f.description, (v) => { f.description = v; }), "这个意图包括什么、不包括什么"),
      exampleList,
      el("p", { class: "hint", id: "examples-check-status", "aria-live": "polite" }),
      listEditor({ id: "f-keywords", label: "关键词", items: keywords, placeholder: "一看到就能确定的词，如：取消订单",
        onChange: () => { f.keywords = texts(keywords); } }),
    ];
  }

  const checkExamplesSoon = debounce(checkExamples, 500);

  async function checkExamples() {
    if (!fields || plural !== "intents" || !exampleList) return;
    const status = $("examples-check-status");
    const intent = fields.id || doc.dataset.key || "new_intent";
    try {
      const { data } = await api("POST", "/v1/intents/examples/check", { intent, examples: fields.examples });
      const notes = new Map();
      let marked = 0;
      for (const r of data.examples) {
        const parts = [];
        if (r.duplicate_of !== null) parts.push(el("span", { class: "tag dup" }, `与第 ${r.duplicate_of + 1} 条重复`));
        for (const o of r.also_in) parts.push(el("span", { class: "tag other" }, `意图「${o.label}」也有这条例句`));
        if (r.matched) parts.push(el("span", { class: "tag other" }, `现在会匹配到「${r.matched.label}」（${Math.round(r.matched.score * 100)}%）`));
        if (parts.length) { notes.set(r.index, parts); marked += 1; }
      }
      exampleList.setNotes(notes);
      status.textContent = marked ? `有 ${marked} 条例句需要留意：重复的请删掉，别的意图也有或会匹配到别的意图的，请改写或挪到对的意图。` : "";
    } catch (err) {
      status.textContent = `例句检查暂时不可用：${err.message}`;
    }
  }

  // -- the rule form ------------------------------------------------------------------------------------------

  function ruleForm() {
    const f = fields;
    const phrases = asItems(f.phrases);
    const flag = f.examples.flag;
    const pass = f.examples.pass;
    const patterns = asItems(f.patterns);
    const exceptions = asItems(f.exceptions);
    const define = asItems(f.define.map((d) => `${d.name} = ${d.pattern}`));
    const sync = () => {
      f.phrases = texts(phrases);
      f.patterns = texts(patterns);
      f.exceptions = texts(exceptions);
      f.define = texts(define).map((t) => {
        const at = t.indexOf("=");
        return at < 0 ? { name: t.trim(), pattern: "" } : { name: t.slice(0, at).trim(), pattern: t.slice(at + 1).trim() };
      });
    };
    const enabled = el("input", { type: "checkbox", id: "f-enabled", disabled: !canEdit,
      onchange: (e) => { f.enabled = e.target.checked; scheduleWrite(); } });
    enabled.checked = f.enabled;
    const tester = el("div", { class: "rule-tester" },
      el("label", { for: "rule-test-text" }, "测试一段回复（用还没保存的规则）"),
      el("textarea", { id: "rule-test-text", rows: 3, maxlength: 2000, placeholder: "例如：亲，保证明天到哦" }),
      el("p", {}, el("button", { type: "button", id: "rule-test", onclick: testRule }, "测试")),
      el("div", { id: "rule-test-result", "aria-live": "polite" }));
    return [
      isNew ? field("规则编号", textInput("f-id", f.id, (v) => { f.id = v; }), "英文小写、数字和下划线，如 delivery_guarantee；保存后不能修改") : null,
      el("div", { class: "ff-row" },
        field("标题", textInput("f-title", f.title, (v) => { f.title = v; }, { maxlength: 40 })),
        field("严重程度", select("f-severity", Object.entries(SEVERITY), f.severity || "warn", (v) => { f.severity = v; }))),
      field("原因", textArea("f-message", f.message, (v) => { f.message = v; }, { rows: 2, maxlength: 200 }), "客服看到提示时读到的原因"),
      field("建议说法", textArea("f-suggestion", f.suggestion, (v) => { f.suggestion = v; }, { rows: 2, maxlength: 300 }), "更稳妥的说法，可以不填"),
      el("label", { class: "check-row", for: "f-enabled" }, enabled, " 启用这条规则"),
      listEditor({ id: "f-phrases", label: "短语", items: phrases, placeholder: "一出现就要提示的说法，如：打包票", onChange: sync }),
      listEditor({ id: "f-flag", label: "必须命中的例句", items: flag, placeholder: "这条规则必须提示的一句话", onChange: sync }),
      listEditor({ id: "f-pass", label: "不应命中的例句", items: pass, placeholder: "这条规则不能提示的一句话", onChange: sync }),
      el("details", { class: "advanced", id: "f-advanced" }, el("summary", {}, "高级：正则模式、命名片段、例外和测试"),
        el("p", { class: "hint" }, "模式是正则表达式，可用 {名称} 引用下面的命名片段，以及内置的 {courier} {num} {any} {cjk}。"),
        listEditor({ id: "f-patterns", label: "模式", items: patterns, placeholder: "例如：保证{any}{0,3}?明天到", onChange: sync }),
        listEditor({ id: "f-define", label: "命名片段", items: define, placeholder: "名称 = 正则，例如：firm = (?:保证|肯定)", onChange: sync }),
        listEditor({ id: "f-exceptions", label: "例外", items: exceptions, placeholder: "命中与例外重叠时不提示，例如：补拍差价", onChange: sync }),
        tester),
    ];
  }

  async function testRule() {
    const text = $("rule-test-text").value;
    const box = $("rule-test-result");
    if (!text.trim()) { box.replaceChildren(el("p", { class: "hint" }, "请先输入一段回复。")); return; }
    await flush();
    try {
      const { data } = await api("POST", "/v1/rules/test", { source: source.value, text });
      if (data.problems.length) {
        box.replaceChildren(el("div", { class: "notice error" }, el("p", {}, "规则有问题，无法测试："),
          el("ul", {}, data.problems.map((p) => el("li", {}, p.line ? `第${p.line}行：` : "", p.message.replace(/^第\d+行[：:]?/, ""))))));
        return;
      }
      box.replaceChildren(
        el("p", { class: data.flags.length ? "" : "ok" }, data.flags.length ? `命中 ${data.flags.length} 处：` : "没有命中。"),
        el("p", { class: "text tested" }, highlighted(text, data.flags)),
        el("ul", { class: "flags" }, data.flags.map(flagItem)));
    } catch (err) {
      box.replaceChildren(el("p", { class: "error" }, err.message));
    }
  }

  // -- 词库: the couriers, the domain words, the variables (admin) ------------------------------------------

  const WORD_SPLIT = /[\s,，、;；]+/;
  const words = (text) => text.split(WORD_SPLIT).filter(Boolean);
  const fold = (w) => w.trim().toLowerCase();

  // A cell of words as chips (× removes one) and a box that adds what is typed (several at once:
  // 顺丰速运，sf快递).  ``dupNote(word)`` marks a word that is already used elsewhere.
  function wordsCell({ id, label, list, dupNote, onChange }) {
    const chips = el("div", { class: "word-chips", id: `${id}-chips` });
    function draw() {
      chips.replaceChildren(...list.map((w, i) => {
        const note = dupNote ? dupNote(w, i) : "";
        return el("span", { class: note ? "word-chip dup" : "word-chip", title: note || w }, w,
          canEdit ? el("button", { type: "button", "aria-label": `删除${label}「${w}」`,
            onclick: () => { list.splice(i, 1); onChange(); scheduleWrite(); } }, "×") : null);
      }));
    }
    const box = el("input", { id: `${id}-new`, placeholder: `添加${label}`, "aria-label": `新的${label}`, maxlength: 200 });
    function add() {
      const added = words(box.value);
      if (!added.length) return;
      for (const w of added) if (!list.some((x) => fold(x) === fold(w))) list.push(w);
      box.value = "";
      onChange();
      scheduleWrite();
      box.focus();
    }
    box.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); add(); } });
    draw();
    const cell = el("td", { class: "tags-cell" }, chips,
      canEdit ? el("div", { class: "add-row" }, box, el("button", { type: "button", id: `${id}-add`, onclick: add }, "添加")) : null);
    cell.redraw = draw;
    return cell;
  }

  function couriersForm() {
    const rows = fields.couriers;
    const body = el("tbody", { id: "f-couriers" });
    // Where each name or alias is written: a word two couriers claim is marked on both.
    const owners = () => {
      const map = new Map();
      rows.forEach((c, r) => [c.name, ...c.aliases].filter(Boolean).forEach((w) => {
        const k = fold(w);
        if (!map.has(k)) map.set(k, []);
        map.get(k).push(r);
      }));
      return map;
    };
    let owner = owners();
    const dupNote = (r) => (w) => {
      const others = (owner.get(fold(w)) || []).filter((x) => x !== r);
      return others.length ? `「${w}」也是「${rows[others[0]].name || "（未填名称）"}」的名称或别名，同一个词只能属于一家快递` : "";
    };
    const cells = [];
    function refresh() { owner = owners(); for (const c of cells) c.redraw(); }
    function draw() {
      cells.length = 0;
      body.replaceChildren(...rows.map((c, r) => {
        const aliases = wordsCell({ id: `courier-${r}-aliases`, label: "别名", list: c.aliases, dupNote: dupNote(r), onChange: refresh });
        const prefixes = wordsCell({ id: `courier-${r}-prefixes`, label: "运单号开头", list: c.tracking_prefixes, onChange: refresh });
        cells.push(aliases, prefixes);
        return el("tr", { "data-row": r, "data-name": c.name },
          el("td", { class: "name-cell" }, el("input", { id: `courier-${r}-name`, value: c.name, "aria-label": `第 ${r + 1} 家快递的名称`, maxlength: 64,
            readonly: !canEdit, oninput: (e) => { c.name = e.target.value.trim(); e.target.closest("tr").dataset.name = c.name; refresh(); scheduleWrite(); } })),
          aliases, prefixes,
          el("td", {}, canEdit ? el("button", { type: "button", class: "link remove", "aria-label": `删除快递「${c.name}」`,
            onclick: () => { rows.splice(r, 1); draw(); refresh(); scheduleWrite(); } }, "删除") : null));
      }));
    }
    draw();
    const add = canEdit ? el("p", {}, el("button", { type: "button", id: "courier-add", onclick: () => {
      rows.push({ name: "", aliases: [], tracking_prefixes: [], at: null });
      draw();
      refresh();
      $(`courier-${rows.length - 1}-name`).focus();
    } }, "添加快递公司")) : null;
    return [
      el("p", { class: "hint" }, "名称是店铺设置（合作快递）里用的名字；别名是买家和客服的其他写法，英文字母不分大小写；",
        "运单号开头用来从运单号认出快递（如 SF 开头是顺丰）。同一个词标红：两家快递都用了它。"),
      el("table", { class: "rows-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "名称"), el("th", {}, "别名"), el("th", {}, "运单号开头"), el("th", {}, ""))), body),
      add,
    ];
  }

  function domainForm() {
    const items = asItems(fields.words);
    const sync = () => {
      fields.words = items.flatMap((i) => words(i.text));
      const first = new Map();
      const notes = new Map();
      items.forEach((item, i) => {
        const k = fold(item.text);
        if (!k) return;
        if (first.has(k)) notes.set(i, [el("span", { class: "tag dup" }, `与第 ${first.get(k) + 1} 条重复`)]);
        else first.set(k, i);
      });
      list.setNotes(notes);
    };
    const list = listEditor({ id: "f-words", label: "行业词", items, search: true,
      placeholder: "一个或几个词，用空格或逗号分开，如：运费险 菜鸟驿站", onChange: sync });
    sync();
    return [
      el("p", { class: "hint" }, "这些词在分词时保持完整（不会被切成单字），意图匹配和关键词就能把它们当作一个词。",
        "新加的词用默认词频；词频和词性可以在“源文件”中调整。"),
      list,
    ];
  }

  function variablesForm() {
    const rows = fields.variables;
    const body = el("tbody", { id: "f-variables" });
    function input(r, key, v, attrs = {}) {
      return el("td", { class: `${key}-cell` }, el("input", { id: `variable-${r}-${key}`, value: v[key], readonly: !canEdit || attrs.locked, maxlength: attrs.max || 64,
        "aria-label": attrs.label, title: attrs.locked ? "已有变量的变量名不能在这里修改（模板里在用）" : "",
        oninput: (e) => { v[key] = e.target.value; scheduleWrite(); } }));
    }
    function draw() {
      body.replaceChildren(...rows.map((v, r) => el("tr", { "data-row": r, "data-name": v.name },
        input(r, "name", v, { label: `第 ${r + 1} 个变量的变量名`, locked: v.at !== null }),
        input(r, "label", v, { label: `第 ${r + 1} 个变量的中文名`, max: 20 }),
        input(r, "sample", v, { label: `第 ${r + 1} 个变量的示例值`, max: 200 }),
        input(r, "description", v, { label: `第 ${r + 1} 个变量的说明`, max: 200 }),
        el("td", {}, canEdit ? el("button", { type: "button", class: "link remove", "aria-label": `删除变量「${v.label || v.name}」`,
          onclick: () => { rows.splice(r, 1); draw(); scheduleWrite(); } }, "删除") : null))));
    }
    draw();
    const add = canEdit ? el("p", {}, el("button", { type: "button", id: "variable-add", onclick: () => {
      rows.push({ name: "", label: "", sample: "", description: "", at: null });
      draw();
      $(`variable-${rows.length - 1}-name`).focus();
    } }, "添加变量")) : null;
    return [
      el("p", { class: "hint" }, "变量名是模板里写的 {{ 变量名 }}（小写英文字母、数字和下划线）；中文名是编辑器里的变量按钮，",
        "也是客服没有填时显示的【中文名】；示例值只用于编辑器的预览。删除模板还在用的变量之前，请先改好那些模板。"),
      el("table", { class: "rows-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "变量名"), el("th", {}, "中文名"), el("th", {}, "示例值"), el("th", {}, "说明"), el("th", {}, ""))), body),
      add,
    ];
  }

  // -- rendering -------------------------------------------------------------------------------------------

  const FORMS = { template: templateForm, intent: intentForm, rule: ruleForm, couriers: couriersForm, domain: domainForm,
    variables: variablesForm };

  function render() {
    const parts = (FORMS[formKind] || FORMS[{ templates: "template", intents: "intent" }[plural] || "rule"])();
    panel.replaceChildren(...parts.filter(Boolean), el("p", { id: "form-status", class: "hint", "aria-live": "polite" }));
  }

  // -- the template preview: as agents get it (【订单号】) and with sample values, with the guard's findings --

  function flagItem(f) {
    return el("li", { class: `flag sev-${f.severity}`, "data-rule": f.rule },
      el("span", { class: "sev" }, SEVERITY[f.severity] || f.severity),
      el("q", {}, f.excerpt), " ", f.message, f.suggestion ? el("div", { class: "safer" }, "可以这样说：", f.suggestion) : null);
  }

  function withPlaceholders(text, flags) {
    // 【订单号】 marked as a placeholder, the other findings highlighted as in the workbench
    const marks = flags.filter((f) => f.rule !== "unfilled_placeholder");
    const frag = highlighted(text, marks, null, { focusable: false });
    const out = document.createDocumentFragment();
    for (const node of Array.from(frag.childNodes)) {
      if (node.nodeType !== Node.TEXT_NODE) { out.append(node); continue; }
      for (const piece of node.textContent.split(/(【[^【】]{1,20}】)/)) {
        if (!piece) continue;
        out.append(/^【.*】$/.test(piece) ? el("mark", { class: "ph" }, piece) : piece);
      }
    }
    return out;
  }

  function showPreviewProblems(problems) {
    const box = $("preview-problems");
    if (!box) return;
    box.replaceChildren(problems && problems.length ? el("div", { class: "notice error" }, el("strong", {}, "需要修改："),
      el("ul", {}, problems.map((p) => el("li", {}, p.line ? `第${p.line}行：` : "", p.message.replace(/^第\d+行[：:]?/, ""))))) : "");
  }

  let previewSeq = 0;

  async function preview() {
    const seq = ++previewSeq;
    try {
      const [agent, sample] = await Promise.all([
        api("POST", "/v1/templates/preview", { source: source.value, context: {} }),
        api("POST", "/v1/templates/preview", { source: source.value }),
      ]);
      if (seq !== previewSeq) return; // a newer preview is on its way
      const a = agent.data;
      const s = sample.data;
      $("preview-agent").replaceChildren(a.text === null
        ? el("p", { class: "text muted" }, "无法预览，请先修正下面的问题。")
        : el("p", { class: "text" }, withPlaceholders(a.text, a.flags)));
      $("preview").replaceChildren(s.text === null
        ? el("p", { class: "text muted" }, "无法预览，请先修正下面的问题。")
        : el("p", { class: "text" }, highlighted(s.text, s.flags)));
      $("flags").replaceChildren(...(s.flags.length ? s.flags.map(flagItem) : [el("li", { class: "ok" }, s.text === null ? "" : "没有发现风险")]));
      showPreviewProblems(s.problems);
    } catch (err) {
      if (seq === previewSeq) showPreviewProblems([{ message: err.message }]);
    }
  }

  // -- 试一条消息 (intents) -----------------------------------------------------------------------------

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

  // -- start ------------------------------------------------------------------------------------------------

  window.shouhouForm = { flush };
  if (plural === "templates") {
    source.addEventListener("input", debounce(preview, 300));
    preview();
  }
  if ($("try")) {
    $("try").addEventListener("click", tryMessage);
    $("try-message").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) tryMessage(); });
  }
  if (plural === "lexicon" && !formKind) { // 承诺用语: the file text only, its explanation above it
    panel.replaceChildren(el("p", { class: "notice" }, "这份词表没有表单，请在“源文件”中修改（上方有说明）。"));
    tabs.form.hidden = true;
    showTab("source");
  } else {
    readIntoForm();
  }
})();
