// The reports page: usage over a period from the usage ledger (a table, a chart of stacked
// bars per day, a CSV download), each organization's monthly statement, and for partners and
// admins the rates that price it.
(function () {
  "use strict";
  const { call, all, cell, messageRow, fillSelect, badge, byId, errorsIn } = window.Orcastra;
  const page = byId({
    errorBox: "reports-error", messageBox: "reports-message", form: "usage-form", from: "usage-from", to: "usage-to",
    group: "usage-group", metric: "usage-metric", csv: "usage-csv", head: "usage-head", body: "usage-body", gaps: "usage-gaps",
    chart: "usage-chart", legend: "usage-legend", statementForm: "statement-form", month: "statement-month", statements: "statements",
  });
  const showError = errorsIn(page.errorBox, [page.messageBox]);
  const svg = "http://www.w3.org/2000/svg";
  const palette = ["#4fb3d9", "#e0b050", "#7bc47f", "#d9746a", "#a98bd9", "#5fd0b8", "#d99a5f", "#8fa3b8"];
  const amounts = [
    ["instance_hours", "Instance-h"], ["running_hours", "Running h"], ["vcpu_hours", "vCPU-h"], ["vcpu_hours_running", "vCPU-h running"],
    ["memory_gib_hours", "Memory GiB-h"], ["memory_gib_hours_running", "Memory GiB-h running"], ["disk_gib_hours", "Disk GiB-h"],
  ];
  const nameColumns = {
    organization: [["organization_name", "Organization"]],
    project: [["organization_name", "Organization"], ["project_name", "Project"], ["cluster_name", "Cluster"]],
    instance: [["organization_name", "Organization"], ["project_name", "Project"], ["cluster_name", "Cluster"], ["instance", "Instance"]],
  };

  const day = (date) => date.toISOString().slice(0, 10);
  const number = (value) => (Math.round(value * 1000) / 1000).toLocaleString();

  // This month so far, by default: from its first day up to and including today (UTC).
  const now = new Date();
  page.from.value = day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
  page.to.value = day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)));
  page.month.value = page.from.value.slice(0, 7);

  function usagePath(extra) {
    return "/api/v1/reports/usage?from=" + encodeURIComponent(page.from.value) + "&to=" + encodeURIComponent(page.to.value) +
      "&group_by=" + encodeURIComponent(page.group.value) + (extra || "");
  }

  // What a line is called in the table's first column and the chart's legend.
  function label(line) {
    if (line.instance) return line.instance;
    if (page.group.value === "project") return line.project_name || (line.cluster_name || "?") + " / " + line.lxd_project;
    return line.organization_name || "(no organization)";
  }

  function usageRow(line, columns) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "usage-row";
    tr.dataset.name = label(line);
    tr.append(...columns.map(([key]) => cell(line[key] === null ? (key === "organization_name" ? "(none)" : "—") : line[key])));
    tr.append(...amounts.map(([key]) => cell(number(line[key]))));
    return tr;
  }

  function headCell(title) {
    const th = document.createElement("th");
    th.textContent = title;
    return th;
  }

  function headRow(titles) {
    const thead = document.createElement("thead");
    const tr = document.createElement("tr");
    tr.append(...titles.map(headCell));
    thead.append(tr);
    return thead;
  }

  function showTable(report) {
    const columns = nameColumns[report.group_by];
    page.head.replaceChildren(...columns.concat(amounts).map(([, title]) => headCell(title)));
    const total = document.createElement("tr");
    total.className = "total";
    total.append(cell("Total"), ...columns.slice(1).map(() => cell("")), ...amounts.map(([key]) => cell(number(report.totals[key]))));
    page.body.replaceChildren(...(report.lines.length ? report.lines.map((line) => usageRow(line, columns)) : [messageRow("No usage in this period.", columns.length + amounts.length)]), total);
    page.gaps.replaceChildren(...report.gaps.map((gap) => {
      const li = document.createElement("li");
      li.dataset.testid = "usage-gap";
      li.textContent = "Not metered on " + (gap.cluster_name || gap.cluster_id) + " from " + new Date(gap.started_at).toLocaleString() +
        (gap.ended_at ? " to " + new Date(gap.ended_at).toLocaleString() : " until now") + ": " + gap.reason;
      return li;
    }));
  }

  function node(name, attributes) {
    const element = document.createElementNS(svg, name);
    for (const key of Object.keys(attributes)) element.setAttribute(key, attributes[key]);
    return element;
  }

  // Stacked bars: one bar per day of the period, one colour per group, scaled to the tallest day.
  function showChart(daily) {
    const metric = page.metric.value;
    const days = [];
    for (let d = new Date(page.from.value + "T00:00:00Z"); day(d) < page.to.value; d = new Date(d.getTime() + 86400000)) days.push(day(d));
    const groups = [...new Set(daily.lines.map(label))];
    const totals = days.map((d) => daily.lines.filter((l) => l.day === d).reduce((sum, l) => sum + l[metric], 0));
    const highest = Math.max(...totals, 0);
    const width = 720, height = 220, slot = width / Math.max(days.length, 1);
    const shapes = [];
    days.forEach((d, index) => {
      let top = height;
      for (const line of daily.lines.filter((l) => l.day === d && l[metric] > 0)) {
        const h = highest > 0 ? (line[metric] / highest) * (height - 10) : 0;
        top -= h;
        const rect = node("rect", { x: index * slot + slot * 0.15, y: top, width: slot * 0.7, height: h, fill: palette[groups.indexOf(label(line)) % palette.length] });
        rect.dataset.testid = "usage-bar";
        rect.dataset.day = d;
        rect.dataset.group = label(line);
        const title = node("title", {});
        title.textContent = d + " · " + label(line) + ": " + number(line[metric]);
        rect.append(title);
        shapes.push(rect);
      }
    });
    page.chart.replaceChildren(...shapes);
    page.legend.replaceChildren(...groups.map((group, index) => {
      const item = document.createElement("span");
      const swatch = node("svg", { class: "legend-swatch", viewBox: "0 0 1 1" });
      swatch.append(node("rect", { width: 1, height: 1, fill: palette[index % palette.length] }));
      item.append(swatch, document.createTextNode(group));
      return item;
    }), document.createTextNode(highest > 0 ? "tallest day: " + number(highest) : "nothing to chart"));
  }

  async function loadUsage() {
    page.csv.href = usagePath("&format=csv");
    const [report, daily] = await Promise.all([call("GET", usagePath()), call("GET", usagePath("&per=day"))]);
    showTable(report);
    showChart(daily);
  }

  function money(value, rates) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2) + (rates ? " " + rates.currency : "");
  }

  function statementBlock(statement) {
    const block = document.createElement("div");
    block.className = "statement";
    block.dataset.testid = "statement";
    block.dataset.name = statement.organization_name || "(no organization)";
    const heading = document.createElement("h3");
    heading.append(document.createTextNode((statement.organization_name || "Outside any project") + " "),
      statement.closed ? badge("closed", "muted", "written at the month's end; it no longer changes") : badge("month to date", "info"));
    const rates = document.createElement("p");
    rates.className = "muted";
    const r = statement.rates;
    rates.textContent = r ? "Rates (" + (r.source === "default" ? "owner's default" : "the organization's") + "): " + r.vcpu_hour + " per vCPU-hour, " +
      r.memory_gib_hour + " per memory GiB-hour, " + r.disk_gib_hour + " per disk GiB-hour, " + r.currency + (r.running_only ? "; vCPU and memory while running only" : "")
      : "No rates are set: hours only.";
    const table = document.createElement("table");
    table.className = "table";
    table.append(headRow(["Project", "Cluster", "vCPU-h", "Memory GiB-h", "Disk GiB-h", "Amount"]));
    const body = document.createElement("tbody");
    for (const line of statement.lines) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "statement-line";
      tr.append(cell(line.project_name || line.lxd_project), cell(line.cluster_name), cell(number(line.vcpu_hours)), cell(number(line.memory_gib_hours)),
        cell(number(line.disk_gib_hours)), cell(money(line.amount, r)));
      body.append(tr);
    }
    const total = document.createElement("tr");
    total.className = "total";
    total.dataset.testid = "statement-total";
    const t = statement.totals;
    total.append(cell("Total"), cell(""), cell(number(t.vcpu_hours)), cell(number(t.memory_gib_hours)), cell(number(t.disk_gib_hours)), cell(money(t.amount, r)));
    body.append(total);
    table.append(body);
    block.append(heading, rates, table);
    return block;
  }

  async function loadStatements() {
    const answer = await call("GET", "/api/v1/reports/showback?month=" + encodeURIComponent(page.month.value));
    page.statements.replaceChildren(...(answer.statements.length ? answer.statements.map(statementBlock) : [Object.assign(document.createElement("p"), {
      className: "muted", textContent: "No usage in " + answer.month + ".",
    })]));
  }

  page.form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadUsage().catch(showError);
  });
  page.metric.addEventListener("change", () => loadUsage().catch(showError));
  page.statementForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadStatements().catch(showError);
  });

  // Rates (partners and admins): the caller's default, or one organization's.
  const ratesForm = document.getElementById("rates-form");
  if (ratesForm) {
    const ratesFor = document.getElementById("rates-for");
    const current = document.getElementById("rates-current");
    const ratesPath = () => (ratesFor.value ? "/api/v1/organizations/" + encodeURIComponent(ratesFor.value) + "/rates" : "/api/v1/rates/default");
    const showRates = async () => {
      const { rates } = await call("GET", ratesPath());
      current.textContent = rates ? "In effect since " + new Date(rates.effective_from).toLocaleString() + (rates.source === "default" && ratesFor.value ? " (your default)" : "") + "."
        : "None set.";
      for (const key of ["currency", "vcpu_hour", "memory_gib_hour", "disk_gib_hour"]) ratesForm.elements[key].value = rates ? rates[key] : "";
      ratesForm.elements.running_only.checked = rates ? rates.running_only : false;
    };
    all("/api/v1/organizations").then((organizations) => {
      fillSelect(ratesFor, organizations.items, "My default");
      return showRates();
    }).catch(showError);
    ratesFor.addEventListener("change", () => showRates().catch(showError));
    ratesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = ratesForm.elements;
      try {
        await call("PUT", ratesPath(), {
          currency: f.currency.value.trim().toUpperCase(), vcpu_hour: Number(f.vcpu_hour.value), memory_gib_hour: Number(f.memory_gib_hour.value),
          disk_gib_hour: Number(f.disk_gib_hour.value), running_only: f.running_only.checked,
        });
        page.errorBox.hidden = true;
        page.messageBox.hidden = false;
        page.messageBox.textContent = "Rates saved; they apply from now on.";
        await Promise.all([showRates(), loadStatements()]);
      } catch (e) {
        showError(e);
      }
    });
  }

  loadUsage().catch(showError);
  loadStatements().catch(showError);
})();
