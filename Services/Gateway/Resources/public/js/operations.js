// Follows a long-running operation (instance create, state change, snapshot…) to its end with a
// progress bar, so every page shows changes on a cluster the same way. Load after api.js.
(function () {
  "use strict";
  const { call } = window.Orcastra;
  const POLL_MS = 1000;
  // A dropped request or a gateway restart should not abandon an operation that is still running
  // on the cluster; only this many failed polls in a row end the wait.
  const MAX_POLL_FAILURES = 5;

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function render(element) {
    const caption = document.createElement("span");
    caption.className = "operation-caption";
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.dataset.testid = "operation-progress";
    const label = document.createElement("span");
    label.className = "operation-status";
    label.dataset.testid = "operation-status";
    element.hidden = false;
    element.classList.add("operation");
    element.replaceChildren(caption, bar, label);
    return { element: element, caption: caption, bar: bar, label: label };
  }

  function update(view, op) {
    view.element.dataset.status = op.status;
    view.caption.textContent = [op.action, op.instance].filter(Boolean).join(" ");
    const progress = op.status === "success" ? 100 : op.progress;
    // No number means the cluster does not report progress for this step: an indeterminate bar
    // (no value attribute) says "working" without pretending to know how far.
    if (Number.isFinite(progress)) view.bar.value = Math.max(0, Math.min(100, progress));
    else view.bar.removeAttribute("value");
    let text = op.status;
    if (op.status === "failure") text += op.error ? ": " + op.error : "";
    else if (op.stage && op.status !== "success") text += ": " + op.stage;
    if (op.status === "running" && Number.isFinite(op.progress)) text += " (" + op.progress + "%)";
    view.label.textContent = text;
    view.label.className = "operation-status" + (op.status === "success" ? " result-success" : op.status === "failure" ? " result-failure" : "");
  }

  function finished(op) {
    return op.status === "success" || op.status === "failure";
  }

  // Renders the bar into `element`, polls GET /api/v1/operations/<id> until the operation ends,
  // and resolves with the final operation (a failed operation resolves too; callers read .status).
  async function follow(operation, element) {
    const view = render(element);
    let op = operation;
    update(view, op);
    let failures = 0;
    while (!finished(op)) {
      await sleep(POLL_MS);
      try {
        op = await call("GET", "/api/v1/operations/" + encodeURIComponent(op.id));
        failures = 0;
      } catch (e) {
        failures += 1;
        if (failures >= MAX_POLL_FAILURES) {
          view.element.dataset.status = "unknown";
          view.label.textContent = "lost track of the operation: " + e.message;
          view.label.className = "operation-status result-failure";
          throw e;
        }
        continue;
      }
      update(view, op);
    }
    return op;
  }

  window.Orcastra.follow = follow;
})();
