// The projects page: organizations (partners, admins), projects with what LXD counts against
// their quota, the create form, and a project's members for whoever manages it.
(function () {
  "use strict";
  const { call, all, cell, messageRow, fillSelect, when, badge, button, byId, errorsIn } = window.Orcastra;
  const { errorBox, messageBox, body, refreshButton, membersPanel, membersBody, memberForm, membersName } = byId({
    errorBox: "projects-error", messageBox: "projects-message", body: "projects", refreshButton: "refresh",
    membersPanel: "members-panel", membersBody: "members", memberForm: "member-form", membersName: "members-project-name",
  });
  // Present only for partners and admins (the template leaves them out for tenants).
  const organizationsBody = document.getElementById("organizations");
  const organizationForm = document.getElementById("organization-form");
  const projectForm = document.getElementById("project-form");
  const showError = errorsIn(errorBox, [messageBox]);
  const QUOTA = [["instances", "instances"], ["cpu", "CPUs"], ["memory", "memory"], ["disk", "disk"]];
  let selected = null;

  function say(text) {
    errorBox.hidden = true;
    messageBox.hidden = false;
    messageBox.textContent = text;
  }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) { n /= 1024; i++; }
    return n + " " + units[i];
  }

  function amount(resource, n) {
    return resource === "memory" || resource === "disk" ? bytes(n) : String(n);
  }

  // One bar per limited resource: used of limit, as LXD counts them.
  function quotaBars(project) {
    const td = document.createElement("td");
    if (project.usage_error) {
      td.append(badge("usage unknown", "warn", project.usage_error));
      return td;
    }
    const limited = (project.usage || []).filter((u) => QUOTA.some(([key]) => key === u.resource));
    if (!limited.some((u) => u.limit !== null && u.limit !== undefined)) td.append(badge("no quota", "muted"));
    for (const [key, label] of QUOTA) {
      const u = limited.find((x) => x.resource === key);
      if (!u || u.limit === null || u.limit === undefined) continue;
      const wrap = document.createElement("div");
      wrap.className = "quota";
      wrap.dataset.testid = "quota-bar";
      wrap.dataset.resource = key;
      wrap.dataset.used = u.usage;
      wrap.dataset.limit = u.limit;
      const meter = document.createElement("meter");
      meter.min = 0;
      meter.max = Math.max(u.limit, 1);
      meter.value = Math.min(u.usage, meter.max);
      meter.high = meter.max * 0.8;
      const text = document.createElement("span");
      text.className = "small";
      text.textContent = label + ": " + amount(key, u.usage) + " / " + amount(key, u.limit);
      wrap.append(meter, text);
      td.append(wrap);
    }
    return td;
  }

  // This month's usage so far (UTC) from the usage ledger, by organization or project id.
  async function monthToDate(groupBy, key) {
    const now = new Date();
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString().slice(0, 10);
    const report = await call("GET", "/api/v1/reports/usage?from=" + first + "&to=" + tomorrow + "&group_by=" + groupBy);
    return new Map(report.lines.filter((l) => l[key]).map((l) => [l[key].toLowerCase(), l]));
  }

  function usageCell(line) {
    const hours = (n) => (Math.round(n * 100) / 100).toLocaleString();
    const td = cell(line ? hours(line.vcpu_hours) + " vCPU-h · " + hours(line.memory_gib_hours) + " GiB-h memory · " + hours(line.running_hours) + " h running" : "none yet");
    td.dataset.testid = "month-usage";
    return td;
  }

  function projectRow(project, usage) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "project-row";
    tr.dataset.name = project.name;
    tr.dataset.id = project.id;
    const role = document.createElement("td");
    role.append(badge(project.your_role || "—", project.your_role === "viewer" ? "muted" : "info"));
    const name = document.createElement("td");
    const manages = project.your_role === "owner" || project.your_role === "admin";
    if (manages) {
      name.append(button(project.name, () => showMembers(project).catch(showError), "link"));
    } else {
      name.textContent = project.name;
    }
    tr.append(name, cell(project.organization_name), cell(project.cluster_name), cell(project.lxd_project), role, quotaBars(project),
      usageCell(usage.get(String(project.id).toLowerCase())));
    return tr;
  }

  async function loadProjects() {
    const page = await all("/api/v1/projects");
    if (!page.items.length) {
      body.replaceChildren(messageRow("No projects yet.", 7));
      return;
    }
    // The list leaves usage out; each project's detail reads it live from its cluster.
    const [detailed, usage] = await Promise.all([
      Promise.all(page.items.map((p) => call("GET", "/api/v1/projects/" + encodeURIComponent(p.id)).catch(() => p))),
      monthToDate("project", "project_id").catch(() => new Map()),
    ]);
    body.replaceChildren(...detailed.map((p) => projectRow(p, usage)));
  }

  async function loadOrganizations() {
    if (!organizationsBody) return;
    const [page, usage] = await Promise.all([all("/api/v1/organizations"), monthToDate("organization", "organization_id").catch(() => new Map())]);
    organizationsBody.replaceChildren(...page.items.map((o) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "organization-row";
      tr.dataset.name = o.name;
      tr.append(cell(o.name), cell(o.description || ""), cell(o.owner_name || o.owner_id), cell(when(o.created_at)), usageCell(usage.get(String(o.id).toLowerCase())));
      return tr;
    }));
    fillSelect(projectForm.elements.namedItem("organization"), page.items);
  }

  async function loadClusters() {
    if (!projectForm) return;
    const page = await all("/api/v1/clusters");
    fillSelect(projectForm.elements.namedItem("cluster"), page.items);
  }

  async function showMembers(project) {
    selected = project;
    membersPanel.hidden = false;
    membersName.textContent = project.name;
    const page = await all("/api/v1/projects/" + encodeURIComponent(project.id) + "/members");
    membersBody.replaceChildren(...page.items.map((m) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "member-row";
      tr.dataset.name = m.user_name || m.email || m.user_id;
      const remove = document.createElement("td");
      remove.className = "actions";
      remove.append(button("Remove", async () => {
        try {
          await call("DELETE", "/api/v1/projects/" + encodeURIComponent(project.id) + "/members/" + encodeURIComponent(m.user_id));
          say("Removed " + (m.user_name || m.email || m.user_id) + " from " + project.name + ".");
          await showMembers(project);
        } catch (e) { showError(e); }
      }));
      tr.append(cell(m.user_name), cell(m.email), cell(m.role), cell(when(m.added_at)), remove);
      return tr;
    }));
  }

  memberForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!selected) return;
    const user = memberForm.elements.namedItem("user").value.trim();
    const role = memberForm.elements.namedItem("role").value;
    try {
      await call("POST", "/api/v1/projects/" + encodeURIComponent(selected.id) + "/members", { user: user, role: role });
      say(user + " is now " + role + " of " + selected.name + ".");
      memberForm.elements.namedItem("user").value = "";
      await showMembers(selected);
    } catch (e) { showError(e); }
  });

  if (organizationForm) {
    organizationForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = organizationForm.elements.namedItem("name").value.trim();
      const description = organizationForm.elements.namedItem("description").value.trim();
      try {
        await call("POST", "/api/v1/organizations", description ? { name: name, description: description } : { name: name });
        say("Created organization " + name + ".");
        organizationForm.reset();
        await loadOrganizations();
      } catch (e) { showError(e); }
    });
  }

  if (projectForm) {
    projectForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = (name) => projectForm.elements.namedItem(name).value.trim();
      const limits = {};
      if (value("instances")) limits.instances = Number(value("instances"));
      if (value("cpu")) limits.cpu = Number(value("cpu"));
      if (value("memory")) limits.memory = value("memory");
      if (value("disk")) limits.disk = value("disk");
      const submit = projectForm.querySelector("[type=submit]");
      submit.disabled = true;
      try {
        const project = await call("POST", "/api/v1/organizations/" + encodeURIComponent(value("organization")) + "/projects",
          { name: value("name"), cluster_id: value("cluster"), limits: limits });
        say("Created project " + project.name + " (LXD project " + project.lxd_project + ").");
        for (const name of ["name", "instances", "cpu", "memory", "disk"]) projectForm.elements.namedItem(name).value = "";
        await loadProjects();
      } catch (e) {
        showError(e);
      } finally {
        submit.disabled = false;
      }
    });
  }

  function loadAll() {
    return Promise.all([loadOrganizations(), loadClusters(), loadProjects()]);
  }

  refreshButton.addEventListener("click", () => {
    errorBox.hidden = true;
    loadAll().catch(showError);
  });
  loadAll().catch(showError);
})();
