// Fills the "Platform status" panel from the API's health, fetched through the gateway.
(function () {
  "use strict";
  const summary = document.getElementById("status-summary");
  const list = document.getElementById("status-checks");
  if (!summary || !list) return;

  function show(state, text) {
    summary.dataset.state = state;
    summary.textContent = text;
  }

  function row(name, check) {
    const li = document.createElement("li");
    li.className = "check check-" + check.status;
    const label = document.createElement("span");
    label.className = "check-name";
    label.textContent = name;
    const detail = document.createElement("span");
    detail.className = "check-detail";
    detail.textContent = check.status === "ok"
      ? check.latency_ms.toFixed(1) + " ms"
      : (check.error || check.status);
    li.append(label, detail);
    return li;
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v1/health", { headers: { Accept: "application/json" } });
      const body = await response.json();
      if (body.error) {
        show("error", body.error.message);
        list.replaceChildren();
        return;
      }
      show(body.status, body.status === "ok"
        ? "All systems answer (API " + body.version + ")."
        : "Some dependencies are not answering.");
      list.replaceChildren(...Object.keys(body.checks).sort().map((n) => row(n, body.checks[n])));
    } catch (e) {
      show("error", "The gateway could not be reached.");
    }
  }

  refresh();
  setInterval(refresh, 15000);
})();
