// Small helpers the dashboard's scripts share: JSON calls through the gateway's /api/v1 proxy
// (the session cookie goes along; no token is ever in the page) and safe DOM building.
(function () {
  "use strict";
  async function call(method, path, body) {
    const options = { method: method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) {
      window.location.href = "/login?return_to=" + encodeURIComponent(window.location.pathname);
      throw new Error("signed out");
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(data && data.error ? data.error.message : "HTTP " + response.status);
    return data;
  }

  // Every item of a paged list: asks for the largest page the API gives (500) and follows
  // next_cursor to the end, so a list longer than one page is still shown whole. Answers the
  // first page's object (other fields, like the instance list's clusters) with all the items.
  async function all(path) {
    const join = path.includes("?") ? "&" : "?";
    const first = await call("GET", path + join + "limit=500");
    const items = first.items.slice();
    let cursor = first.next_cursor;
    while (cursor) {
      const page = await call("GET", path + join + "limit=500&cursor=" + encodeURIComponent(cursor));
      items.push(...page.items);
      cursor = page.next_cursor;
    }
    return Object.assign({}, first, { items: items, next_cursor: null });
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    return td;
  }

  // A row with one muted cell across `columns`: "nothing here" in a table.
  function messageRow(text, columns) {
    const tr = document.createElement("tr");
    const td = cell(text);
    td.colSpan = columns;
    td.className = "muted";
    tr.append(td);
    return tr;
  }

  // Fills `select` with one option per item (its name shown, its id the value), after an
  // empty-valued `placeholder` when given, keeping the choice made before if still offered.
  function fillSelect(select, items, placeholder) {
    const current = select.value;
    const options = items.map((item) => new Option(item.name, item.id));
    if (placeholder !== undefined) options.unshift(new Option(placeholder, ""));
    select.replaceChildren(...options);
    if (Array.from(select.options).some((o) => o.value === current)) select.value = current;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : "—";
  }

  // A coloured label: kind is ok, bad, muted, info or warn (see orcastra.css).
  function badge(text, kind, title) {
    const span = document.createElement("span");
    span.className = "badge badge-" + kind;
    span.textContent = text;
    if (title) span.title = title;
    return span;
  }

  // The badge kind for an LXD instance status.
  function statusKind(status) {
    switch (status) {
      case "Running": return "ok";
      case "Stopped": return "muted";
      case "Frozen": return "info";
      default: return "warn";
    }
  }

  // The page's elements by id, looked up once: byId({ errorBox: "clusters-error" }) answers
  // { errorBox: <the element> }. A missing id means the template and its script disagree; it
  // fails here, naming the id, instead of later as a property read on null.
  function byId(ids) {
    const found = {};
    for (const key of Object.keys(ids)) {
      const element = document.getElementById(ids[key]);
      if (!element) throw new Error("the page has no element #" + ids[key]);
      found[key] = element;
    }
    return found;
  }

  // Shows an error's message in the notice `box`, first hiding the notices in `hide` (a success
  // message the failure contradicts, say).
  function showError(e, box, hide) {
    for (const other of hide || []) other.hidden = true;
    box.hidden = false;
    box.textContent = e.message;
  }

  // A page's error handler, usable straight as `.catch(...)`: `(e)` shows the error in the page's
  // main notice `errors`, `(e, box)` in a notice of its own beside the control that failed; each
  // first hides `hide`.
  function errorsIn(errors, hide) {
    return (e, box) => showError(e, box || errors, hide);
  }

  function button(label, onClick, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className || "secondary";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  window.Orcastra = {
    call: call, all: all, cell: cell, messageRow: messageRow, fillSelect: fillSelect, when: when, badge: badge, statusKind: statusKind, button: button,
    byId: byId, showError: showError, errorsIn: errorsIn,
  };
})();
