// The account page: the caller's API keys (create, revoke) and sessions (revoke).
(function () {
  "use strict";
  const { call, all, cell, when, byId, errorsIn } = window.Orcastra;
  const { errorBox, keyForm, keyCreated, keys, sessions } = byId({
    errorBox: "account-error", keyForm: "key-form", keyCreated: "key-created", keys: "keys", sessions: "sessions",
  });
  const showError = errorsIn(errorBox);

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = label;
    b.addEventListener("click", onClick);
    const td = document.createElement("td");
    td.append(b);
    return td;
  }

  async function loadKeys() {
    const page = await all("/api/v1/api-keys");
    keys.replaceChildren(...page.items.map((k) => {
      const tr = document.createElement("tr");
      tr.append(cell(k.name + (k.scope === "read_only" ? " (read-only)" : "")), cell(k.prefix + "…"), cell(k.owner_name), cell(when(k.created_at)), cell(when(k.last_used_at)),
        cell(k.revoked_at ? "revoked " + when(k.revoked_at) : when(k.expires_at)),
        k.revoked_at ? cell("") : button("Revoke", () => call("DELETE", "/api/v1/api-keys/" + k.id).then(loadKeys).catch(showError)));
      return tr;
    }));
  }

  async function loadSessions() {
    const page = await all("/api/v1/sessions");
    sessions.replaceChildren(...page.items.map((s) => {
      const tr = document.createElement("tr");
      tr.append(cell((s.user_name || s.user_email || s.user_id) + (s.current ? " (this browser)" : "")), cell(when(s.created_at)),
        cell(when(s.last_seen_at)), cell(s.ip), cell(s.user_agent),
        button(s.current ? "Sign out" : "Revoke", () => {
          if (s.current) { window.location.href = "/logout"; return; } // the confirmation page: sign-out itself is a POST
          call("DELETE", "/api/v1/sessions/" + s.id).then(loadSessions).catch(showError);
        }));
      return tr;
    }));
  }

  keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { name: form.name.value };
    if (form.read_only.checked) body.scope = "read_only";
    if (form.expires_at.value) body.expires_at = new Date(form.expires_at.value + "T23:59:59Z").toISOString().replace(/\.\d+Z$/, "Z");
    try {
      const created = await call("POST", "/api/v1/api-keys", body);
      keyCreated.hidden = false;
      document.querySelector("[data-testid=key-value]").textContent = created.key;
      form.reset();
      await loadKeys();
    } catch (e) { showError(e); }
  });

  loadKeys().catch(showError);
  loadSessions().catch(showError);
})();
