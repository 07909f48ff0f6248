// Shared helpers for the pages: JSON calls with the CSRF token, and safe DOM building.
"use strict";

const shouhou = (() => {
  const NETWORK_ERROR = "网络连接失败，请检查网络后重试";
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(method, path, body, headers = {}) {
    const opts = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    let r;
    try {
      r = await fetch(path, opts);
    } catch (e) { // fetch rejects with a TypeError ("Failed to fetch") when the network is down
      const err = new Error(NETWORK_ERROR);
      err.status = 0;
      err.network = true;
      throw err;
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const err = new Error((data && (data.detail || data.title)) || `请求失败（${r.status}）`);
      err.status = r.status;
      err.data = data;
      err.headers = r.headers;
      throw err;
    }
    return { data, headers: r.headers };
  }

  // Build an element; children are nodes or strings (always inserted as text, never HTML).
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function debounce(fn, ms) {
    let t;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      const ta = el("textarea", { class: "sr" }, text);
      document.body.append(ta);
      ta.select();
      const ok = document.execCommand("copy");
      ta.remove();
      return ok;
    }
  }

  // The one vocabulary of severities on the pages (app/guard/severity.py SEVERITY_NAMES): never 警告 / "warn 级".
  const severityName = { block: "禁止发送", warn: "需要确认", info: "提示" };

  // Text with flagged spans wrapped in <mark>; spans are code-point offsets (Python str indices).
  // ``focusable: false`` keeps the marks out of the tab order (a layer over a textarea).
  function highlighted(text, flags, onMark, { focusable = true } = {}) {
    const chars = Array.from(text);
    const frag = document.createDocumentFragment();
    const rank = { block: 0, warn: 1, info: 2 }; // on the same span the most severe is shown
    const sorted = [...flags].sort((a, b) => a.start - b.start || b.end - a.end || (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3));
    let pos = 0;
    for (const f of sorted) {
      if (f.start < pos) continue; // overlapping: the first one shown wins
      if (f.start > pos) frag.append(chars.slice(pos, f.start).join(""));
      const mark = el("mark", {
        class: `sev-${f.severity}`, tabindex: focusable ? "0" : null, "data-rule": f.rule, "data-start": f.start,
        title: `${severityName[f.severity] || f.severity}：${f.message}` + (f.suggestion ? `\n建议：${f.suggestion}` : ""),
      }, chars.slice(f.start, f.end).join(""));
      if (onMark) {
        mark.addEventListener("click", () => onMark(f, mark));
        mark.addEventListener("keydown", (e) => { if (e.key === "Enter") onMark(f, mark); });
      }
      frag.append(mark);
      pos = f.end;
    }
    if (pos < chars.length) frag.append(chars.slice(pos).join(""));
    return frag;
  }

  return { api, el, debounce, copyText, highlighted, severityName, NETWORK_ERROR };
})();
