// Account management for admins: API keys and users, through the JSON API.
"use strict";
(() => {
  const { api, el } = shouhou;
  const $ = (id) => document.getElementById(id);
  const roleName = { agent: "客服", editor: "模板编辑", admin: "管理员" };
  const say = (text) => { $("admin-status").textContent = text; };

  async function load() {
    const [{ data: k }, { data: u }] = await Promise.all([api("GET", "/v1/keys"), api("GET", "/v1/users")]);
    $("keys").replaceChildren(...k.keys.map((key) => el("tr", {},
      el("td", {}, `#${key.id}`), el("td", {}, key.name), el("td", {}, el("code", {}, `${key.prefix}…`)),
      el("td", {}, roleName[key.role]), el("td", {}, key.revoked_at ? "已吊销" : "有效"),
      el("td", {}, key.revoked_at ? "" : el("button", { type: "button", class: "link", onclick: () => revoke(key) }, "吊销")))));
    $("users").replaceChildren(...u.users.map((user) => el("tr", {},
      el("td", {}, user.username), el("td", {}, roleName[user.role]),
      el("td", {}, [user.disabled ? "已停用" : "正常", user.locked ? "，密码错误次数过多已锁定" : ""].join("")),
      el("td", {},
        el("button", { type: "button", class: "link", onclick: () => toggle(user) }, user.disabled ? "启用" : "停用"),
        user.locked ? el("button", { type: "button", class: "link unlock", onclick: () => unlock(user) }, "解锁") : null))));
  }

  async function unlock(user) {
    try {
      await api("POST", `/v1/users/${encodeURIComponent(user.username)}/unlock`);
      await load();
      say(`已解锁 ${user.username}，可以重新登录了`);
    } catch (err) { say(err.message); }
  }

  async function revoke(key) {
    if (!window.confirm(`吊销 ${key.name}？使用它的程序会立即无法调用。`)) return;
    try { await api("DELETE", `/v1/keys/${key.id}`); load(); } catch (err) { say(err.message); }
  }

  async function toggle(user) {
    try { await api("PATCH", `/v1/users/${encodeURIComponent(user.username)}`, { disabled: !user.disabled }); load(); }
    catch (err) { say(err.message); }
  }

  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { data } = await api("POST", "/v1/keys", { name: $("key-name").value, role: $("key-role").value });
      const box = $("new-key");
      box.hidden = false;
      box.replaceChildren("新 key（只显示这一次，请马上保存）：", el("code", {}, data.key));
      $("key-name").value = "";
      load();
    } catch (err) { say(err.message); }
  });

  $("user-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/v1/users", { username: $("user-name").value, password: $("user-password").value, role: $("user-role").value });
      say(`已创建用户 ${$("user-name").value}`);
      $("user-name").value = ""; $("user-password").value = "";
      load();
    } catch (err) { say((err.data && err.data.detail) || err.message); }
  });

  load().catch((err) => say(err.message));
})();
