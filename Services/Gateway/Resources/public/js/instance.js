// One instance: its facts, runtime state, configuration and devices, the lifecycle actions and
// its snapshots. Every change is an operation on the cluster, followed to its end before the
// page reloads its data.
(function () {
  "use strict";
  const { call, cell, messageRow, when, follow, statusKind, button, byId, errorsIn } = window.Orcastra;
  const { root, errorBox, actionError, snapshotError, statusBadge, force, actionProgress, snapshotProgress, snapshotForm } = byId({
    root: "instance", errorBox: "instance-error", actionError: "action-error", snapshotError: "snapshot-error",
    statusBadge: "instance-status", force: "force", actionProgress: "action-progress",
    snapshotProgress: "snapshot-progress", snapshotForm: "snapshot-form",
  });
  const project = root.dataset.project || "default";
  const base = "/api/v1/clusters/" + encodeURIComponent(root.dataset.cluster) + "/instances/" + encodeURIComponent(root.dataset.name);
  const query = "?project=" + encodeURIComponent(project);
  // How long a graceful stop or restart may take before the cluster gives up (seconds).
  const STOP_TIMEOUT = 30;
  // Which actions make sense in which state; an unknown state leaves them all to the cluster to judge.
  const ALLOWED = {
    Running: ["stop", "restart", "freeze"],
    Stopped: ["start"],
    Frozen: ["unfreeze", "stop"],
  };
  let current = null;
  let busy = false;

  // Loading errors show at the top; an action's or a snapshot's beside its own buttons.
  const showError = errorsIn(errorBox);

  function bytes(n) {
    if (!Number.isFinite(n)) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit === 0 ? String(value) : value.toFixed(value < 10 ? 2 : 1)) + " " + units[unit];
  }

  function fact(dl, term, value) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
    dd.dataset.testid = "fact-" + term.toLowerCase().replace(/[^a-z]+/g, "-");
    dl.append(dt, dd);
  }

  function sortedKeys(object) {
    return Object.keys(object || {}).sort();
  }

  function renderFacts(i) {
    const dl = document.getElementById("facts");
    dl.replaceChildren();
    fact(dl, "Type", i.type);
    fact(dl, "Cluster", i.cluster_name);
    fact(dl, "Project", i.project);
    fact(dl, "Location", i.location);
    fact(dl, "Created", when(i.created_at));
    fact(dl, "Image", i.image);
    fact(dl, "Profiles", (i.profiles || []).join(", "));
    if (i.description) fact(dl, "Description", i.description);
    statusBadge.className = "badge badge-" + statusKind(i.status);
    statusBadge.textContent = i.status || "unknown";
  }

  function renderState(state) {
    const dl = document.getElementById("state");
    const disks = document.getElementById("disks");
    const networks = document.getElementById("networks");
    document.getElementById("state-empty").hidden = !!state;
    document.getElementById("state-tables").hidden = !state;
    dl.replaceChildren();
    if (!state) {
      disks.replaceChildren();
      networks.replaceChildren();
      return;
    }
    // A stopped instance reports zeros; they mean "not running", not "uses nothing".
    const live = state.status === "Running" || state.status === "Frozen";
    fact(dl, "CPU time", live && Number.isFinite(state.cpu_usage_ns) ? (state.cpu_usage_ns / 1e9).toFixed(2) + " s" : null);
    fact(dl, "Memory", live ? bytes(state.memory_usage_bytes) + (Number.isFinite(state.memory_peak_bytes) ? " (peak " + bytes(state.memory_peak_bytes) + ")" : "") : null);
    fact(dl, "Processes", live && Number.isFinite(state.processes) && state.processes >= 0 ? state.processes : null);
    const diskNames = sortedKeys(state.disk);
    disks.replaceChildren(...(diskNames.length ? diskNames.map((d) => {
      const tr = document.createElement("tr");
      tr.append(cell(d), cell(bytes(state.disk[d])));
      return tr;
    }) : [messageRow("No disk usage reported.", 2)]));
    const interfaces = sortedKeys(state.network);
    networks.replaceChildren(...(interfaces.length ? interfaces.map((n) => {
      const tr = document.createElement("tr");
      const addresses = cell((state.network[n] || []).join(", ") || "—");
      addresses.className = "mono small";
      tr.append(cell(n), addresses);
      return tr;
    }) : [messageRow("No network interfaces reported.", 2)]));
  }

  function renderConfig(config) {
    const keys = sortedKeys(config);
    document.getElementById("config").replaceChildren(...(keys.length ? keys.map((k) => {
      const tr = document.createElement("tr");
      const value = cell(config[k]);
      value.className = "mono small";
      tr.append(cell(k), value);
      return tr;
    }) : [messageRow("No local configuration (see the profiles).", 2)]));
  }

  function renderDevices(devices) {
    const names = sortedKeys(devices);
    document.getElementById("devices").replaceChildren(...(names.length ? names.map((d) => {
      const tr = document.createElement("tr");
      const settings = document.createElement("td");
      settings.className = "mono small";
      settings.append(...sortedKeys(devices[d]).map((k) => {
        const line = document.createElement("div");
        line.textContent = k + ": " + devices[d][k];
        return line;
      }));
      tr.append(cell(d), settings);
      return tr;
    }) : [messageRow("No local devices (see the profiles).", 2)]));
  }

  function snapshotPath(snapshot) {
    return base + "/snapshots/" + encodeURIComponent(snapshot.name);
  }

  function renderSnapshots(snapshots) {
    const list = (snapshots || []).slice().sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    document.getElementById("snapshots").replaceChildren(...(list.length ? list.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "snapshot-row";
      tr.dataset.name = s.name;
      const actions = document.createElement("td");
      actions.className = "actions";
      actions.append(
        button("Restore", () => {
          if (!window.confirm("Restore " + current.name + " to the snapshot " + s.name + "? Changes since then are lost.")) return;
          run(() => call("POST", snapshotPath(s) + "/restore" + query), snapshotProgress, snapshotError);
        }),
        button("Delete", () => {
          if (!window.confirm("Delete the snapshot " + s.name + "?")) return;
          run(() => call("DELETE", snapshotPath(s) + query), snapshotProgress, snapshotError);
        }, "secondary danger"));
      tr.append(cell(s.name), cell(when(s.created_at)), cell(s.stateful ? "yes" : "no"), actions);
      return tr;
    }) : [messageRow("No snapshots yet.", 4)]));
  }

  // While an operation runs every change button waits; afterwards the state decides again.
  function updateButtons() {
    const allowed = current ? ALLOWED[current.status] : null;
    for (const b of document.querySelectorAll("#actions [data-action]")) {
      b.disabled = busy || !current || (allowed !== undefined && allowed !== null && !allowed.includes(b.dataset.action));
    }
    for (const b of document.querySelectorAll("#delete, #snapshots button, #snapshot-form [type=submit]")) {
      b.disabled = busy || !current;
    }
  }

  // The controls for what the user may do with this instance (the API says, in
  // your_entitlements): a project's viewer gets none, its operator those of running it.
  function showControls(entitlements) {
    if (!entitlements) return;
    const may = (e) => entitlements.includes(e);
    document.querySelector("[data-testid=actions-panel]").hidden = !(may("can_update_state") || may("can_delete"));
    for (const b of document.querySelectorAll("#actions [data-action]")) b.hidden = !may("can_update_state");
    document.getElementById("force").closest("label").hidden = !may("can_update_state");
    document.getElementById("delete").hidden = !may("can_delete");
    document.getElementById("snapshot-form").hidden = !may("can_manage_snapshots");
    for (const b of document.querySelectorAll("#snapshots button")) b.hidden = !may("can_manage_snapshots");
  }

  async function load() {
    try {
      const i = await call("GET", base + query);
      current = i;
      renderFacts(i);
      renderState(i.state);
      renderConfig(i.config);
      renderDevices(i.devices);
      renderSnapshots(i.snapshots);
      showControls(i.your_entitlements);
    } catch (e) {
      current = null;
      statusBadge.className = "badge badge-warn";
      statusBadge.textContent = "unknown";
      throw e;
    } finally {
      updateButtons();
    }
  }

  // Starts an operation, follows it in `progress` (errors into `errors`), then reloads.
  // `onSuccess` may take over afterwards (returning true skips the reload: the instance is gone).
  async function run(start, progress, errors, onSuccess) {
    if (busy) return;
    busy = true;
    updateButtons();
    for (const box of [errorBox, actionError, snapshotError]) box.hidden = true;
    let done = null;
    try {
      done = await follow(await start(), progress);
    } catch (e) {
      showError(e, errors);
    } finally {
      busy = false;
    }
    if (done && done.status === "failure") showError(new Error(done.error || "The operation failed."), errors);
    if (done && done.status === "success" && onSuccess && onSuccess(done)) return;
    await load().catch(showError);
  }

  for (const b of document.querySelectorAll("#actions [data-action]")) {
    b.addEventListener("click", () => run(() => call("PUT", base + "/state" + query,
      { action: b.dataset.action, force: force.checked, timeout: STOP_TIMEOUT }), actionProgress, actionError));
  }

  document.getElementById("delete").addEventListener("click", () => {
    const forced = force.checked;
    const text = "Delete the instance " + root.dataset.name + (forced ? ", stopping it first if it runs" : "") + "? This cannot be undone.";
    if (!window.confirm(text)) return;
    run(() => call("DELETE", base + query + "&force=" + forced), actionProgress, actionError, () => {
      window.location.href = "/instances";
      return true;
    });
  });

  snapshotForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = snapshotForm.elements.namedItem("name");
    const name = input.value.trim();
    run(() => call("POST", base + "/snapshots" + query, { name: name }), snapshotProgress, snapshotError, () => {
      input.value = "";
      return false;
    });
  });

  document.getElementById("refresh").addEventListener("click", () => {
    errorBox.hidden = true;
    load().catch(showError);
  });
  load().catch(showError);
})();
