// The agent workbench: message in, intents + suggestions + alerts out; the draft checked as it is typed.
"use strict";
(() => {
  const { api, el, debounce, copyText, highlighted, severityName } = shouhou;
  const $ = (id) => document.getElementById(id);
  const form = $("ask");
  const labels = JSON.parse($("suggestions").dataset.labels || "{}");

  function flagItem(f) {
    return el("li", { class: `flag sev-${f.severity}` },
      el("span", { class: "sev" }, severityName[f.severity] || f.severity),
      el("q", {}, f.excerpt), " ", f.message,
      f.suggestion ? el("div", { class: "safer" }, "可以这样说：", f.suggestion) : null);
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
    $("alerts").replaceChildren(...out.alerts.map((a) =>
      el("li", { class: `alert sev-${a.severity}`, role: "alert" }, el("strong", {}, "注意："), a.message)));
    $("suggestions").replaceChildren(...out.suggestions.map((s) => {
      const copy = el("button", { type: "button", class: "copy" }, "复制");
      copy.addEventListener("click", async () => {
        const ok = await copyText(s.text);
        copy.textContent = ok ? "已复制" : "复制失败";
        $("draft").value = s.text;
        checkDraft();
        setTimeout(() => { copy.textContent = "复制"; }, 1500);
      });
      // Placeholders are listed as "请补全"; the other findings are worth a look before sending.
      const findings = s.flags.filter((f) => f.rule !== "unfilled_placeholder");
      return el("li", { class: "suggestion", "data-template": s.template_id },
        el("div", { class: "meta" }, el("span", { class: "title" }, s.title), copy),
        el("p", { class: "text" }, s.text),
        s.missing_vars.length ? el("p", { class: "missing" }, "请补全：", s.missing_vars.map((v) => labels[v] || v).join("、")) : null,
        findings.length ? el("ul", { class: "flags" }, findings.map(flagItem)) : null);
    }));
  }

  async function ask(e) {
    if (e) e.preventDefault();
    const message = $("message").value.trim();
    if (!message) { $("ask-status").textContent = "请先粘贴买家消息"; return; }
    const context = {};
    for (const k of ["order_id", "buyer_name", "item_name"]) {
      const v = $(k).value.trim();
      if (v) context[k] = v;
    }
    $("ask-status").textContent = "正在分析…";
    $("ask-button").disabled = true;
    try {
      const { data } = await api("POST", "/v1/suggest", { message, context, shop_key: $("shop_key").value, explain: true });
      showResult(data);
      $("ask-status").textContent = "";
    } catch (err) {
      $("ask-status").textContent = err.message;
    } finally {
      $("ask-button").disabled = false;
    }
  }

  const draft = $("draft");
  const layer = $("draft-highlight");
  let lastChecked = null;

  function showPopover(f, mark) {
    document.querySelectorAll(".popover").forEach((p) => p.remove());
    const pop = el("div", { class: "popover", role: "dialog" },
      el("strong", {}, severityName[f.severity] || f.severity, "：", f.message),
      f.suggestion ? el("p", {}, "可以这样说：", f.suggestion) : null,
      el("button", { type: "button", class: "link", onclick: () => pop.remove() }, "关闭"));
    mark.after(pop);
  }

  async function checkDraft() {
    const text = draft.value;
    if (text === lastChecked) return;
    lastChecked = text;
    if (!text.trim()) {
      layer.replaceChildren();
      $("flags").replaceChildren();
      $("draft-status").textContent = "";
      return;
    }
    try {
      const { data } = await api("POST", "/v1/check", { text, shop_key: $("shop_key").value });
      if (draft.value !== text) return; // typed on meanwhile
      layer.replaceChildren(highlighted(text, data.flags, showPopover));
      $("flags").replaceChildren(...data.flags.map(flagItem));
      $("draft-status").textContent = data.flags.length ? `发现 ${data.flags.length} 处需要注意` : "没有发现风险";
    } catch (err) {
      $("draft-status").textContent = err.message;
    }
  }

  form.addEventListener("submit", ask);
  $("message").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) ask(e);
  });
  const debouncedCheck = debounce(checkDraft, 350);
  draft.addEventListener("input", () => { layer.replaceChildren(); debouncedCheck(); });
  draft.addEventListener("scroll", () => { layer.scrollTop = draft.scrollTop; });
  $("shop_key").addEventListener("change", () => { lastChecked = null; checkDraft(); });
})();
