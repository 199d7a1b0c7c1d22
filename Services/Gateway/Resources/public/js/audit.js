// The audit page (admins): newest events first, older pages on demand, and the chain check.
(function () {
  "use strict";
  const { call, cell, when, byId, errorsIn } = window.Orcastra;
  const { errorBox, more, events, verify, verifyResult } = byId({
    errorBox: "audit-error", more: "more", events: "events", verify: "verify", verifyResult: "verify-result",
  });
  const showError = errorsIn(errorBox);
  let cursor = null;

  async function load(append) {
    const page = await call("GET", "/api/v1/audit-log?limit=50" + (append && cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    const rows = page.items.map((e) => {
      const tr = document.createElement("tr");
      const actor = e.actor ? (e.actor.user_id || e.actor.user_type) : "—";
      const target = e.target ? [e.target.type, e.target.id].filter(Boolean).join(" ") : "—";
      const result = cell(e.result);
      result.className = "result-" + e.result;
      tr.append(cell(e.seq), cell(when(e.recorded_at)), cell(e.action), cell(actor), cell(target), result);
      return tr;
    });
    if (append) events.append(...rows); else events.replaceChildren(...rows);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }

  verify.addEventListener("click", async () => {
    verifyResult.textContent = "Checking…";
    try {
      const v = await call("GET", "/api/v1/audit-log/verify");
      const anchor = v.anchor_seq ? " Matches the anchor of " + v.anchored_at + " (event #" + v.anchor_seq + ")." : "";
      verifyResult.textContent = v.valid
        ? "Valid: " + v.checked + " events, chain intact." + anchor
        : "Broken: " + v.problems.map((p) => "#" + p.seq + " " + p.kind).join(", ");
      verifyResult.className = v.valid ? "result-success" : "result-failure";
    } catch (e) { showError(e); }
  });
  more.addEventListener("click", () => load(true).catch(showError));
  load(false).catch(showError);
})();
