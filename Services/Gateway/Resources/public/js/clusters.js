// The clusters page: registered LXD/Incus clusters with their live status, rename and delete,
// and registration by trust token or by an already trusted client certificate.
(function () {
  "use strict";
  const { call, all, cell, messageRow, badge, button, byId, errorsIn } = window.Orcastra;
  const { errorBox, registerError, messageBox, body, refreshButton } = byId({
    errorBox: "clusters-error", registerError: "register-error", messageBox: "clusters-message",
    body: "clusters", refreshButton: "refresh",
  });
  const COLUMNS = 7;

  // Errors show at the top, or next to the registration forms for their own mistakes; either
  // way the last success message no longer holds.
  const showError = errorsIn(errorBox, [messageBox]);

  function showMessage(text) {
    errorBox.hidden = true;
    messageBox.hidden = false;
    messageBox.textContent = text;
  }

  function clearNotices() {
    errorBox.hidden = true;
    messageBox.hidden = true;
    registerError.hidden = true;
  }

  function path(cluster) {
    return "/api/v1/clusters/" + encodeURIComponent(cluster.id);
  }

  // The name cell shows the name and, below it, the description; renaming swaps in a small form.
  function nameContent(cluster) {
    const name = document.createElement("strong");
    name.className = "cluster-name";
    name.textContent = cluster.name;
    const parts = [name];
    if (cluster.description) {
      const description = document.createElement("div");
      description.className = "muted small";
      description.textContent = cluster.description;
      parts.push(description);
    }
    return parts;
  }

  function startRename(td, cluster) {
    const form = document.createElement("form");
    form.className = "rename-form";
    const input = document.createElement("input");
    input.name = "name";
    input.required = true;
    input.maxLength = 100;
    input.value = cluster.name;
    input.dataset.testid = "rename-input";
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save";
    save.dataset.testid = "rename-save";
    const cancel = button("Cancel", () => td.replaceChildren(...nameContent(cluster)));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") td.replaceChildren(...nameContent(cluster));
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (name === cluster.name) { td.replaceChildren(...nameContent(cluster)); return; }
      save.disabled = true;
      try {
        await call("PATCH", path(cluster), { name: name });
        showMessage("Renamed " + cluster.name + " to " + name + ".");
        await load();
      } catch (e) {
        save.disabled = false;
        showError(e);
      }
    });
    form.append(input, save, cancel);
    td.replaceChildren(form);
    input.focus();
    input.select();
  }

  async function remove(cluster) {
    // Only Orcastra's registration goes; the server and its instances are not touched.
    if (!window.confirm("Delete the cluster " + cluster.name + " from Orcastra? Its instances keep running on the server.")) return;
    try {
      await call("DELETE", path(cluster));
      showMessage("Deleted " + cluster.name + ".");
      await load();
    } catch (e) { showError(e); }
  }

  function row(cluster) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "cluster-row";
    tr.dataset.name = cluster.name;
    tr.dataset.id = cluster.id;
    const nameCell = document.createElement("td");
    nameCell.replaceChildren(...nameContent(cluster));
    const endpoint = cell(cluster.endpoint);
    endpoint.className = "mono small";
    if (cluster.server_fingerprint) endpoint.title = "Server certificate SHA-256: " + cluster.server_fingerprint;
    const status = document.createElement("td");
    status.className = "cluster-status-cell";
    const statusBadge = badge("checking…", "muted");
    statusBadge.dataset.testid = "cluster-status";
    const latency = document.createElement("span");
    latency.className = "muted small latency";
    latency.dataset.testid = "cluster-latency";
    // Why a cluster is unreachable, in words on the page (not only in a tooltip).
    const reason = document.createElement("div");
    reason.className = "small error-text";
    reason.dataset.testid = "cluster-error";
    reason.hidden = true;
    status.append(statusBadge, latency, reason);
    const server = cell("…");
    server.dataset.testid = "cluster-server";
    const members = cell("…");
    members.dataset.testid = "cluster-members";
    const actions = document.createElement("td");
    actions.className = "actions";
    const rename = button("Rename", () => startRename(nameCell, cluster));
    rename.dataset.testid = "cluster-rename";
    const del = button("Delete", () => remove(cluster), "secondary danger");
    del.dataset.testid = "cluster-delete";
    actions.append(rename, del);
    tr.append(nameCell, endpoint, status, server, members, cell(cluster.owner_name || cluster.owner_id), actions);
    return { tr: tr, badge: statusBadge, latency: latency, reason: reason, server: server, members: members };
  }

  function memberSummary(status) {
    const members = status.members || [];
    if (!status.clustered) return "1 (standalone)";
    const offline = members.filter((m) => m.status && m.status.toLowerCase() !== "online");
    return members.length + (offline.length ? " (" + offline.length + " not online)" : "");
  }

  function setBadge(span, text, kind, title) {
    span.className = "badge badge-" + kind;
    span.textContent = text;
    span.title = title || "";
  }

  // Fills one row from GET /clusters/{id}/status; each row on its own so a slow or dead cluster
  // does not hold up the others.
  async function fillStatus(cluster, view) {
    try {
      const s = await call("GET", path(cluster) + "/status");
      if (s.reachable) {
        setBadge(view.badge, "reachable", "ok");
        view.server.textContent = [s.server, s.server_version].filter(Boolean).join(" ") || "—";
        view.server.title = [s.server_name, Number.isFinite(s.api_extensions) ? s.api_extensions + " API extensions" : ""].filter(Boolean).join(" · ");
        view.members.textContent = memberSummary(s);
        view.members.title = (s.members || []).map((m) => m.name + ": " + m.status + (m.message ? " (" + m.message + ")" : "")).join("\n");
      } else {
        setBadge(view.badge, "unreachable", "bad");
        view.server.textContent = "—";
        view.members.textContent = "—";
      }
      view.reason.hidden = s.reachable;
      view.reason.textContent = s.reachable ? "" : (s.error || "The cluster did not answer.");
      view.latency.textContent = Number.isFinite(s.latency_ms) ? " " + Math.round(s.latency_ms) + " ms" : "";
    } catch (e) {
      // The API itself failed (not the cluster): say so rather than blame the cluster.
      setBadge(view.badge, "unknown", "warn", e.message);
      view.server.textContent = "—";
      view.members.textContent = "—";
    }
  }

  async function load() {
    refreshButton.disabled = true;
    try {
      const page = await all("/api/v1/clusters");
      const views = page.items.map((c) => ({ cluster: c, view: row(c) }));
      if (views.length) {
        body.replaceChildren(...views.map((v) => v.view.tr));
      } else {
        body.replaceChildren(messageRow("No clusters registered yet.", COLUMNS));
      }
      await Promise.all(views.map((v) => fillStatus(v.cluster, v.view)));
    } finally {
      refreshButton.disabled = false;
    }
  }

  // Both registration forms: send the filled fields, leave optional empty ones out.
  function registration(form, fields) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = form.querySelector("[type=submit]");
      const payload = {};
      for (const field of fields) {
        const value = form.elements[field].value.trim();
        if (value) payload[field] = value;
      }
      const description = form.elements.description.value.trim();
      if (description) payload.description = description;
      submit.disabled = true;
      registerError.hidden = true;
      try {
        const created = await call("POST", "/api/v1/clusters", payload);
        form.reset();
        showMessage("Registered " + created.name + (created.endpoint ? " (" + created.endpoint + ")" : "") + ".");
      } catch (e) {
        showError(e, registerError);
        return;
      } finally {
        submit.disabled = false;
      }
      await load().catch(showError);
    });
  }

  registration(document.getElementById("register-form"), ["name", "trust_token"]);
  registration(document.getElementById("register-cert-form"), ["name", "endpoint", "server_fingerprint", "client_certificate", "client_key"]);
  refreshButton.addEventListener("click", () => {
    clearNotices();
    load().catch(showError);
  });
  load().catch(showError);
})();
