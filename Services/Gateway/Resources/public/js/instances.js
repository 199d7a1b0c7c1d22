// The instances page: containers and VMs of every cluster and project the user may see in one
// list, filtered through the query string, with each cluster's reachability beside it, and a
// form to create one (on a cluster, or in a project the user operates, checked live against
// the project's quota with a dry run).
(function () {
  "use strict";
  const { call, all, cell, messageRow, fillSelect, when, follow, badge, statusKind, byId, errorsIn } = window.Orcastra;
  const { errorBox, createError, filterForm, createForm, strip, body, refreshButton, createHint, createPanel, quotaBox } = byId({
    errorBox: "instances-error", createError: "create-error", filterForm: "filter-form", createForm: "create-form",
    strip: "cluster-strip", body: "instances", refreshButton: "refresh", createHint: "create-hint",
    createPanel: "create-panel", quotaBox: "create-quota",
  });
  const manages = createPanel.dataset.manage === "true";
  const createSubmit = createForm.querySelector("[type=submit]");
  const FILTERS = ["organization", "cluster", "project", "status", "type", "name"];
  // The organization filter is the page's own: the API filters by cluster and LXD project.
  const PAGE_ONLY = ["organization"];
  const COLUMNS = 6;
  // Clusters seen in any answer so far: a list filtered to one cluster only reports that one,
  // and the selects should still offer the others.
  const known = new Map();
  let latest = 0;
  let creating = false;
  // The projects the user may see (with organization, cluster, LXD project and their role).
  let projects = [];

  function field(form, name) {
    return form.elements.namedItem(name);
  }

  // Errors show at the top, or beside the create form for its own failures.
  const showError = errorsIn(errorBox);

  function reachKind(status) {
    switch (status) {
      case "ok": return "ok";
      case "timeout": return "warn";
      default: return "bad";
    }
  }

  function detailHref(item) {
    return "/instances/" + encodeURIComponent(item.cluster_id) + "/" + encodeURIComponent(item.name) +
      "?project=" + encodeURIComponent(item.project);
  }

  // The filters live in the page's own query string, so a filtered list can be bookmarked,
  // reloaded and shared; the API gets the same parameters.
  function filtersFromForm() {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const value = field(filterForm, name).value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function filtersToForm(params) {
    for (const name of FILTERS) {
      const input = field(filterForm, name);
      const value = params.get(name) || "";
      // A cluster from a bookmark may not be listed yet; keep it selectable until the answer names it.
      if (input.tagName === "SELECT" && value && !Array.from(input.options).some((o) => o.value === value)) {
        input.append(new Option(value, value));
      }
      input.value = value;
    }
  }

  function reachEntry(c) {
    const li = document.createElement("li");
    li.className = "reach reach-" + reachKind(c.status);
    li.dataset.testid = "cluster-reach";
    li.dataset.name = c.name;
    li.dataset.status = c.status;
    const name = document.createElement("span");
    name.className = "reach-name";
    name.textContent = c.name;
    const detail = document.createElement("span");
    detail.className = "reach-detail";
    const parts = [];
    if (c.status === "ok") parts.push(c.instance_count + (c.instance_count === 1 ? " instance" : " instances"));
    if (Number.isFinite(c.latency_ms)) parts.push(Math.round(c.latency_ms) + " ms");
    detail.textContent = parts.join(" · ");
    li.append(name, badge(c.status === "ok" ? "ok" : c.status, reachKind(c.status)), detail);
    if (c.error) {
      const error = document.createElement("span");
      error.className = "reach-error";
      error.dataset.testid = "cluster-reach-error";
      error.textContent = c.error;
      li.append(error);
    }
    return li;
  }

  function instanceRow(item) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "instance-row";
    tr.dataset.name = item.name;
    tr.dataset.cluster = item.cluster_name;
    tr.dataset.clusterId = item.cluster_id;
    tr.dataset.project = item.project;
    const name = document.createElement("td");
    const link = document.createElement("a");
    link.href = detailHref(item);
    link.textContent = item.name;
    if (item.description) link.title = item.description;
    name.append(link);
    const status = document.createElement("td");
    const statusBadge = badge(item.status || "unknown", statusKind(item.status));
    statusBadge.dataset.testid = "instance-status";
    status.append(statusBadge);
    tr.append(name, cell(item.cluster_name), cell(item.project), cell(item.type), status, cell(when(item.created_at)));
    return tr;
  }

  function updateCreateClusters() {
    const usable = Array.from(known.values()).filter((c) => c.status === "ok");
    fillSelect(field(createForm, "cluster"), usable);
    // Preselect the filtered cluster, which is most likely where the next instance goes.
    const filtered = field(filterForm, "cluster").value;
    if (filtered && usable.some((c) => c.id === filtered) && !creating) field(createForm, "cluster").value = filtered;
    const inProject = field(createForm, "in_project").value;
    createSubmit.disabled = creating || (!inProject && usable.length === 0);
    createHint.textContent = !inProject && usable.length === 0 ? "No reachable cluster to create on." : "";
    document.getElementById("create-on-cluster").hidden = !manages || Boolean(inProject);
  }

  // Projects to create in: those the user operates (or owns, or administers).
  function fillProjects() {
    const select = field(createForm, "in_project");
    const current = select.value;
    const usable = projects.filter((p) => ["admin", "owner", "operator"].includes(p.your_role));
    const options = usable.map((p) => new Option(p.name + " (" + p.cluster_name + " / " + p.lxd_project + ")", p.id));
    if (manages) options.unshift(new Option("None: the cluster and LXD project below", ""));
    select.replaceChildren(...options);
    if (Array.from(select.options).some((o) => o.value === current)) select.value = current;
    // A tenant who operates no project has nothing to create in.
    createPanel.hidden = !manages && usable.length === 0;
    const organizations = new Map(projects.map((p) => [p.organization_id, p.organization_name || p.organization_id]));
    const filter = field(filterForm, "organization");
    const chosen = filter.value;
    filter.replaceChildren(new Option("Any organization", ""), ...Array.from(organizations, ([id, name]) => new Option(name, id)));
    if (chosen && !organizations.has(chosen)) filter.append(new Option(chosen, chosen));
    filter.value = chosen;
  }

  // Whether an instance belongs to the organization filtered on, through its project.
  function inOrganization(item, organization) {
    return !organization || projects.some((p) => p.organization_id === organization && p.cluster_id === item.cluster_id && p.lxd_project === item.project);
  }

  async function load() {
    const ticket = ++latest;
    const params = filtersFromForm();
    const organization = params.get("organization");
    for (const name of PAGE_ONLY) params.delete(name);
    refreshButton.disabled = true;
    try {
      const query = params.toString();
      const page = await all("/api/v1/instances" + (query ? "?" + query : ""));
      // A newer filter was applied while this answer was on its way: it wins.
      if (ticket !== latest) return;
      for (const c of page.clusters || []) known.set(c.id, c);
      const clusters = Array.from(known.values()).sort((a, b) => a.name.localeCompare(b.name));
      fillSelect(field(filterForm, "cluster"), clusters, "Any cluster");
      strip.replaceChildren(...(page.clusters || []).map(reachEntry));
      const items = page.items.filter((item) => inOrganization(item, organization));
      body.replaceChildren(...(items.length ? items.map(instanceRow) : [messageRow("No instances match.", COLUMNS)]));
      updateCreateClusters();
    } finally {
      if (ticket === latest) refreshButton.disabled = false;
    }
  }

  function applyFilters() {
    errorBox.hidden = true;
    const query = filtersFromForm().toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    load().catch(showError);
  }

  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters();
  });
  // Selects apply at once; text fields on Enter (the form's submit), so typing does not flood the API.
  for (const name of ["organization", "cluster", "status", "type"]) field(filterForm, name).addEventListener("change", applyFilters);
  document.getElementById("filter-clear").addEventListener("click", () => {
    filtersToForm(new URLSearchParams());
    applyFilters();
  });
  refreshButton.addEventListener("click", () => {
    errorBox.hidden = true;
    load().catch(showError);
  });

  // The create request: where it goes and what it says.
  function createRequest() {
    const value = (name) => field(createForm, name).value.trim();
    const limits = {};
    if (value("cpu")) limits.cpu = value("cpu");
    if (value("memory")) limits.memory = value("memory");
    if (value("disk")) limits.disk = value("disk");
    const payload = {
      name: value("name"),
      image: value("image"),
      type: value("type"),
      profiles: value("profiles").split(",").map((p) => p.trim()).filter(Boolean),
      limits: limits,
      start: field(createForm, "start").checked,
    };
    if (value("user_data")) payload.user_data = field(createForm, "user_data").value;
    const inProject = value("in_project");
    if (inProject) return { path: "/api/v1/projects/" + encodeURIComponent(inProject) + "/instances", payload: payload };
    payload.project = value("project") || "default";
    return { path: "/api/v1/clusters/" + encodeURIComponent(value("cluster")) + "/instances", payload: payload };
  }

  // Live, as the form changes: what the instance would take from the project's quota, read by
  // the API from LXD's own count before anything is created.
  let quotaTimer = null;
  let quotaTicket = 0;
  function checkQuota() {
    clearTimeout(quotaTimer);
    quotaTimer = setTimeout(async () => {
      const request = createRequest();
      if (!request.payload.name || !request.payload.image || request.path.includes("/clusters//")) {
        quotaBox.hidden = true;
        return;
      }
      const ticket = ++quotaTicket;
      try {
        const answer = await call("POST", request.path + "?dry_run=true", request.payload);
        if (ticket !== quotaTicket) return;
        quotaBox.textContent = answer.message;
        quotaBox.className = "small " + (answer.fits ? "quota-ok" : "quota-over");
        quotaBox.dataset.fits = String(answer.fits);
      } catch (e) {
        if (ticket !== quotaTicket) return;
        quotaBox.textContent = e.message;
        quotaBox.className = "small quota-over";
        quotaBox.dataset.fits = "false";
      }
      quotaBox.hidden = false;
    }, 300);
  }
  createForm.addEventListener("input", checkQuota);
  createForm.addEventListener("change", () => {
    updateCreateClusters();
    checkQuota();
  });

  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = createRequest();
    creating = true;
    createSubmit.disabled = true;
    createError.hidden = true;
    try {
      const operation = await call("POST", request.path, request.payload);
      const done = await follow(operation, document.getElementById("create-progress"));
      if (done.status === "success") field(createForm, "name").value = "";
      else showError(new Error(done.error || "Creating the instance failed."), createError);
    } catch (e) {
      showError(e, createError);
    } finally {
      creating = false;
      updateCreateClusters();
      // Reload even after a failure: a half-created instance should show up too.
      await load().catch(showError);
    }
  });

  // Nothing to create on until the list says which clusters answer.
  createSubmit.disabled = true;
  filtersToForm(new URLSearchParams(window.location.search));
  // Without the projects (an API refusing them), the list still loads; only project choices are missing.
  all("/api/v1/projects").catch((e) => {
    showError(e);
    return { items: [] };
  }).then((page) => {
    projects = page.items;
    fillProjects();
    updateCreateClusters();
    return load();
  }).catch(showError);
})();
