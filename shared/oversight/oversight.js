/* The oversight page: reads /<service>/v1/figures (relative URLs, so it works standalone and behind an
   ingress), draws the charts as inline SVG (no library), keeps the filters in the address bar. */
"use strict";

(function () {
  const SERVICES = ["intake", "assessment", "approval", "disbursement", "referral"];
  const COLORS = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)"];
  const FORM_NAMES = { cash_transfer: "现金·银行转账 cash (bank)", cash_direct: "现金·直接发放 cash (direct)",
                       in_kind: "实物 in kind" };
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  let places = { counties: [] };
  let townshipNames = {};
  let generation = 0;

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(value) {
    if (value <= 0) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  function short(value) {
    if (Math.abs(value) >= 10000) return (value / 10000).toFixed(value % 10000 === 0 ? 0 : 1) + "万";
    return String(Math.round(value * 100) / 100);
  }

  /* Vertical bars: categories on x, one bar per series (grouped) or stacked; per-bar colours for one series. */
  function barChart(container, spec) {
    container.textContent = "";
    const cats = spec.categories;
    const total = spec.series.reduce((s, se) => s + se.values.reduce((a, b) => a + (Number(b) || 0), 0), 0);
    if (!cats.length || total === 0) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "没有数据 no figures for these filters";
      container.appendChild(empty);
      container.dataset.total = "0";
      return;
    }
    const W = 600, H = 250, L = 48, R = 8, T = 16, B = spec.rotate ? 70 : 40;
    const stacked = Boolean(spec.stacked);
    const sums = cats.map((_, i) => spec.series.reduce((s, se) => s + (Number(se.values[i]) || 0), 0));
    const peak = stacked ? Math.max(...sums) : Math.max(...spec.series.flatMap((se) => se.values.map(Number)));
    const max = niceMax(peak);
    const plotW = W - L - R, plotH = H - T - B;
    const band = plotW / cats.length;
    const groups = stacked ? 1 : spec.series.length;
    const barW = Math.max(4, Math.min(48, (band * 0.8) / groups));
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": spec.title || "chart",
                            "data-total": total, "data-categories": cats.join("|") });
    for (let k = 0; k <= 4; k++) {
      const y = T + plotH - (plotH * k) / 4;
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y, y2: y, class: "axis" }));
      svg.appendChild(el("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, short((max * k) / 4)));
    }
    cats.forEach((cat, i) => {
      const x0 = L + band * i + (band - barW * groups) / 2;
      let base = 0;
      spec.series.forEach((se, s) => {
        const v = Number(se.values[i]) || 0;
        const h = (plotH * v) / max;
        const x = stacked ? x0 : x0 + s * barW;
        const y = T + plotH - h - (stacked ? (plotH * base) / max : 0);
        const color = se.colors ? se.colors[i % se.colors.length] : se.color;
        const rect = el("rect", { x, y, width: barW - 1, height: Math.max(h, 0), fill: color, "data-value": v,
                                  "data-series": se.name, "data-category": cat });
        rect.appendChild(el("title", {}, `${cat} · ${se.name}: ${se.labels ? se.labels[i] : v}`));
        svg.appendChild(rect);
        if (v > 0 && (!stacked || spec.series.length === 1)) {
          svg.appendChild(el("text", { x: x + barW / 2, y: y - 3, "text-anchor": "middle" },
                             se.labels ? se.labels[i] : short(v)));
        }
        base += v;
      });
      if (stacked && spec.series.length > 1 && sums[i] > 0) {
        svg.appendChild(el("text", { x: x0 + barW / 2, y: T + plotH - (plotH * sums[i]) / max - 3,
                                     "text-anchor": "middle" }, short(sums[i])));
      }
      const lx = L + band * i + band / 2, ly = T + plotH + 14;
      const label = el("text", spec.rotate
        ? { x: lx, y: ly, "text-anchor": "end", transform: `rotate(-30 ${lx} ${ly})` }
        : { x: lx, y: ly, "text-anchor": "middle" }, cat);
      svg.appendChild(label);
    });
    container.appendChild(svg);
    container.dataset.total = String(total);
    if (spec.series.length > 1 || spec.legend) {
      const legend = document.createElement("div");
      legend.className = "legend";
      for (const se of spec.series) {
        const item = document.createElement("span");
        const swatch = document.createElement("i");
        swatch.style.background = se.color;
        item.append(swatch, se.name);
        legend.appendChild(item);
      }
      container.appendChild(legend);
    }
  }

  function table(container, headers, rows) {
    if (!rows.length) return;
    const t = document.createElement("table");
    t.className = "mini";
    const head = t.insertRow();
    for (const h of headers) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    for (const r of rows) {
      const tr = t.insertRow();
      for (const c of r) tr.insertCell().textContent = c === null || c === undefined ? "—" : String(c);
    }
    container.appendChild(t);
  }

  function filters() {
    const out = {};
    for (const id of ["county", "township", "from", "to", "category"]) {
      const node = $(id);
      if (node.value) out[node.name] = node.value;
    }
    return out;
  }

  function query(params) {
    return new URLSearchParams(params).toString();
  }

  /* The access token: from the address's fragment (#token=..., never sent to the server), or pasted into
     the token field; kept for this browser tab only (sessionStorage). */
  function token() {
    return sessionStorage.getItem("assistance-token") || "";
  }

  function authorised(extra) {
    const headers = { ...(extra || {}) };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    return headers;
  }

  async function figures(service, params) {
    const response = await fetch(`/${service}/v1/figures?${query(params)}`,
                                 { headers: authorised({ Accept: "application/json" }) });
    if (response.status === 401) throw new Error("sign in: paste an access token");
    if (!response.ok) throw new Error(`${service}: HTTP ${response.status}`);
    return response.json();
  }

  /* Lists and CSV files need the token too: fetch them with it and open the result. */
  async function openAuthorised(event) {
    const a = event.currentTarget;
    if (!token()) return;  // plain navigation: the server answers 401 with a problem document
    event.preventDefault();
    const response = await fetch(a.href, { headers: authorised() });
    const url = URL.createObjectURL(await response.blob());
    if (a.dataset.csv) {
      const save = document.createElement("a");
      save.href = url;
      save.download = `${a.dataset.csv}-figures.csv`;
      save.click();
    } else {
      window.open(url, "_blank", "noopener");
    }
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  /* Durations in the unit that suits the largest one: minutes, hours or days. */
  function durationUnit(values) {
    const peak = Math.max(0, ...values.filter((v) => v !== null && v !== undefined));
    if (peak >= 3 * 86400) return { name: "d", seconds: 86400 };
    if (peak >= 3600) return { name: "h", seconds: 3600 };
    return { name: "min", seconds: 60 };
  }

  function inUnit(seconds, unit) {
    return seconds === null || seconds === undefined ? 0 : Math.round((seconds / unit.seconds) * 10) / 10;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const unit = durationUnit([seconds]);
    return `${inUnit(seconds, unit)} ${unit.name}`;
  }

  function placeName(code) {
    return townshipNames[code] || code;
  }

  function kpis(d) {
    const box = $("kpis");
    box.textContent = "";
    const items = [];
    if (d.intake) items.push(["received", d.intake.totals.received, "受理 applications"],
                             ["other_system", d.intake.totals.other_system, "主动发现 from other systems"]);
    if (d.assessment) items.push(["eligible", d.assessment.totals.eligible, "符合条件 eligible"]);
    if (d.approval) {
      const a = d.approval.totals;
      items.push(["approved", a.approved, "批准 approved"], ["amount_approved", a.amount_approved, "批准金额 approved CNY"],
                 ["median_decision", duration(d.approval.time_to_decision.median_seconds), "审批用时中位数 median to decision"],
                 ["overdue", d.approval.help_first.overdue, "先行救助逾期 help-first overdue"]);
    }
    if (d.disbursement) items.push(["amount_paid", d.disbursement.totals.amount_paid, "已发放 paid CNY"]);
    if (d.referral) items.push(["amount_fulfilled", d.referral.totals.amount_fulfilled, "慈善帮扶 charity CNY"]);
    for (const [key, value, label] of items) {
      const div = document.createElement("div");
      div.className = "kpi";
      div.dataset.kpi = key;
      const b = document.createElement("b");
      b.textContent = String(value);
      const span = document.createElement("span");
      span.textContent = label;
      div.append(b, span);
      box.appendChild(div);
    }
  }

  function render(d) {
    kpis(d);
    if (d.intake) {
      const months = d.intake.by_month;
      barChart($("chart-received"), { title: "received", stacked: true, categories: months.map((m) => m.month),
        series: [{ name: "窗口 walk-in", color: COLORS[0], values: months.map((m) => m.walk_in) },
                 { name: "其他系统 other government system", color: COLORS[1], values: months.map((m) => m.other_system) }] });
    }
    if (d.intake || d.approval) {
      const rows = {};
      for (const r of (d.intake ? d.intake.by_township : [])) rows[r.township_code] = { received: r.received, approved: 0 };
      for (const r of (d.approval ? d.approval.by_township : [])) {
        rows[r.township_code] = rows[r.township_code] || { received: 0, approved: 0 };
        rows[r.township_code].approved = r.approved;
      }
      const codes = Object.keys(rows).sort();
      barChart($("chart-townships"), { title: "townships", rotate: codes.length > 4, categories: codes.map(placeName),
        series: [{ name: "受理 received", color: COLORS[0], values: codes.map((c) => rows[c].received) },
                 { name: "批准 approved", color: COLORS[2], values: codes.map((c) => rows[c].approved) }] });
    }
    if (d.assessment) {
      const t = d.assessment.totals, reasons = d.assessment.ineligible_reasons;
      barChart($("chart-assessed"), { title: "assessed",
        categories: ["符合 eligible", "不符合 ineligible", ...reasons.map((r) => "✗ " + r.rule)],
        series: [{ name: "cases", values: [t.eligible, t.ineligible, ...reasons.map((r) => r.cases)],
                   colors: [COLORS[2], COLORS[3], ...reasons.map(() => COLORS[4])] }] });
    }
    if (d.approval) {
      const a = d.approval.totals;
      barChart($("chart-decisions"), { title: "decisions",
        categories: ["批准 approved", "不批准 rejected", "乡镇限额内 within township limit", "报县 escalated to county"],
        series: [{ name: "decisions", values: [a.approved, a.rejected, a.within_township_limit, a.escalated_to_county],
                   colors: [COLORS[2], COLORS[3], COLORS[0], COLORS[1]] }] });
      const dist = d.approval.distribution_per_case;
      barChart($("chart-distribution"), { title: "distribution", categories: dist.map((b) => b.bucket),
        series: [{ name: "cases", color: COLORS[0], values: dist.map((b) => b.count) }] });
      $("averages").textContent = `平均每案 per case ${a.average_per_case ?? "—"} · 人均 per person ` +
        `${a.average_per_person ?? "—"} · 救助月数 months ${a.months_of_help} (avg ${a.average_months ?? "—"}) · ` +
        `persons helped ${a.persons_helped}`;
      const h = d.approval.help_first;
      barChart($("chart-helpfirst"), { title: "help first",
        categories: ["按时 on time", "逾期完成 completed late", "逾期未办 open overdue", "期限内 open in time"],
        series: [{ name: "grants", values: [h.completed_on_time, h.completed_late, h.open_overdue, h.open_in_time],
                   colors: [COLORS[2], COLORS[1], COLORS[3], COLORS[0]] }] });
    }
    if (d.approval || d.disbursement) {
      const dec = d.approval ? d.approval.time_to_decision : {};
      const pay = d.disbursement ? d.disbursement.time_to_first_payment : {};
      const unit = durationUnit([dec.p90_seconds, pay.p90_seconds, dec.median_seconds, pay.median_seconds]);
      barChart($("chart-speed"), { title: "speed", legend: true,
        categories: ["申请→审批 submission → decision", "批准→首次发放 authorisation → first payment"],
        series: [{ name: `中位数 median (${unit.name})`, color: COLORS[0],
                   values: [inUnit(dec.median_seconds, unit), inUnit(pay.median_seconds, unit)] },
                 { name: `90% p90 (${unit.name})`, color: COLORS[1],
                   values: [inUnit(dec.p90_seconds, unit), inUnit(pay.p90_seconds, unit)] }] });
      $("speed-notes").textContent = `measured: ${dec.measured ?? 0} decisions, ${pay.measured ?? 0} first payments`;
    }
    if (d.disbursement) {
      const forms = d.disbursement.by_form;
      barChart($("chart-paid"), { title: "paid", categories: forms.map((f) => FORM_NAMES[f.form] || f.form),
        series: [{ name: "CNY", values: forms.map((f) => Number(f.amount)), labels: forms.map((f) => f.amount),
                   colors: [COLORS[0], COLORS[1], COLORS[2]] }] });
      $("paid-notes").textContent = (d.disbursement.notes || []).join(" ");
      const funds = d.disbursement.reserve_funds;
      const box = $("chart-reserve");
      barChart(box, { title: "reserve funds", rotate: funds.length > 4,
        categories: funds.map((f) => placeName(f.township_code)),
        series: [{ name: "拨付 allocated", color: COLORS[0], values: funds.map((f) => Number(f.allocated)) },
                 { name: "使用 drawn", color: COLORS[1], values: funds.map((f) => Number(f.drawn)) },
                 { name: "结余 balance", color: COLORS[2], values: funds.map((f) => Number(f.balance)) }] });
      table(box, ["township", "year", "allocated", "drawn", "released", "balance"],
            funds.map((f) => [placeName(f.township_code), f.year, f.allocated, f.drawn, f.released, f.balance]));
    }
    if (d.referral) {
      const ps = d.referral.by_partner;
      const box = $("chart-referral");
      barChart(box, { title: "referrals", rotate: ps.length > 3, categories: ps.map((p) => p.name),
        series: [{ name: "转介 offered", color: COLORS[0], values: ps.map((p) => p.offered) },
                 { name: "接受 accepted", color: COLORS[1], values: ps.map((p) => p.accepted) },
                 { name: "完成 fulfilled", color: COLORS[2], values: ps.map((p) => p.fulfilled) }] });
      table(box, ["partner", "offered", "accepted", "declined", "fulfilled", "amount"],
            ps.map((p) => [p.name, p.offered, p.accepted, p.declined, p.fulfilled, p.amount_fulfilled]));
    }
  }

  /* R-OVS-1: a county's township scorecards. Approval scores its own indicators against the county's targets;
     the reserve-fund turnover and the referral fulfilment are each township's line of disbursement's and
     referral's figures for the same year (no service reads another's records), judged here against the
     target approval keeps, in the direction approval states (indicators[].at_most). */
  async function scorecards(params) {
    if (!params.county_code) return null;
    const year = params.to ? params.to.slice(0, 4) : null;
    const wanted = { county_code: params.county_code, ...(year ? { year } : {}) };
    const response = await fetch(`/approval/v1/scorecards?${query(wanted)}`,
                                 { headers: authorised({ Accept: "application/json" }) });
    if (response.status === 401) throw new Error("sign in: paste an access token");
    if (!response.ok) throw new Error(`scorecards: HTTP ${response.status}`);
    const sc = await response.json();
    const period = { county_code: params.county_code, from: `${sc.year}-01-01`, to: `${sc.year}-12-31` };
    const [reserve, referral] = await Promise.allSettled([figures("disbursement", period),
                                                          figures("referral", period)]);
    sc.external = {
      reserve_fund_turnover: Object.fromEntries((reserve.status === "fulfilled" ? reserve.value.reserve_funds : [])
        .map((f) => [f.township_code, { value: f.turnover }])),
      referral_fulfilment_share: Object.fromEntries((referral.status === "fulfilled" ? referral.value.by_township : [])
        .map((r) => [r.township_code, { value: r.fulfilment }])),
    };
    return sc;
  }

  const INDICATORS = [["time_to_decision_days", "审批用时 days to decision"],
                      ["help_first_on_time_share", "先行救助按时 help first on time"],
                      ["within_delegation_share", "限额内 within delegation"],
                      ["reexamination_reversal_share", "复核改变率 re-examinations reversed"],
                      ["reserve_fund_turnover", "备用金周转 reserve-fund turnover"],
                      ["referral_fulfilment_share", "转介完成率 referral fulfilment"]];

  function shown(score) {
    if (score.value === null) return "—";
    const value = score.indicator.endsWith("_share") ? `${Math.round(Number(score.value) * 1000) / 10}%` : score.value;
    return score.target === null ? value : `${value} ${score.met ? "✓" : "✗"}`;
  }

  /* One township's score for an indicator: approval's own, or the figure of the service that keeps it. */
  function scoreOf(sc, card, indicator) {
    const own = card.scores.find((x) => x.indicator === indicator);
    if (own) return own;
    const spec = sc.indicators.find((x) => x.indicator === indicator) || { at_most: false };
    const target = (sc.targets.find((x) => x.indicator === indicator) || { target: null }).target;
    const found = (sc.external[indicator] || {})[card.township_code];
    const value = found && found.value !== null && found.value !== undefined ? found.value : null;
    const met = value === null || target === null ? null
      : spec.at_most ? Number(value) <= Number(target) : Number(value) >= Number(target);
    return { indicator, value, target, met };
  }

  function renderScorecards(sc) {
    const box = $("chart-scorecards");
    box.textContent = "";
    if (!sc) {
      const hint = document.createElement("div");
      hint.className = "empty";
      hint.textContent = "选择区县 choose a county to see its townships' scorecards";
      box.appendChild(hint);
      return;
    }
    const cards = sc.townships;
    const share = (card, indicator) => {
      const s = scoreOf(sc, card, indicator);
      return s && s.value !== null ? Math.round(Number(s.value) * 1000) / 10 : 0;
    };
    barChart(box, { title: "scorecards", rotate: cards.length > 4, legend: true,
      categories: cards.map((c) => placeName(c.township_code)),
      series: [{ name: "先行救助按时 help first on time %", color: COLORS[2],
                 values: cards.map((c) => share(c, "help_first_on_time_share")) },
               { name: "限额内 within delegation %", color: COLORS[0],
                 values: cards.map((c) => share(c, "within_delegation_share")) },
               { name: "复核改变 reversed %", color: COLORS[3],
                 values: cards.map((c) => share(c, "reexamination_reversal_share")) },
               { name: "转介完成 referral fulfilment %", color: COLORS[1],
                 values: cards.map((c) => share(c, "referral_fulfilment_share")) }] });
    const t = document.createElement("table");
    t.className = "mini";
    t.dataset.year = String(sc.year);
    const targets = Object.fromEntries(sc.targets.map((x) => [x.indicator, x.target]));
    const head = t.insertRow();
    for (const h of ["township", "decided", ...INDICATORS.map(([k, n]) => `${n} (target ${targets[k] ?? "—"})`),
                     "findings"]) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    for (const card of cards) {
      const tr = t.insertRow();
      tr.dataset.township = card.township_code;
      tr.insertCell().textContent = placeName(card.township_code);
      tr.insertCell().textContent = String(card.decided);
      for (const [indicator] of INDICATORS) {
        const score = scoreOf(sc, card, indicator);
        const td = tr.insertCell();
        td.dataset.indicator = indicator;
        td.dataset.value = score.value === null ? "" : score.value;
        if (score.met !== null) td.className = score.met ? "met" : "unmet";
        td.textContent = shown(score);
      }
      tr.insertCell().textContent = card.findings.map((f) => `${f.action} (follow up ${f.follow_up_on})`).join("; ")
        || "—";
    }
    box.appendChild(t);
  }

  function links(params) {
    const county = params.county_code, township = params.township_code;
    const year = (params.to || new Date().toISOString()).slice(0, 4);
    const hrefs = {
      "intake-list": "/intake/v1/applications?" + query(Object.fromEntries(Object.entries({
        county_code: county, township_code: township, category: params.category, submitted_from: params.from,
        submitted_to: params.to }).filter(([, v]) => v))),
      "approval-approved": "/approval/v1/cases?" + query({ status: "approved", ...(township ? { township_code: township } : {}) }),
      "approval-rejected": "/approval/v1/cases?" + query({ status: "rejected", ...(township ? { township_code: township } : {}) }),
      "ledger": "/disbursement/v1/ledger?" + query(Object.fromEntries(Object.entries({
        county_code: county, township_code: township, from: params.from, to: params.to }).filter(([, v]) => v))),
      "overdue": "/approval/v1/help-first/overdue?" + query(county ? { county_code: county } : {}),
      "reserve-report": county ? "/disbursement/v1/reserve-funds/report?" + query({ county_code: county, year }) : null,
      "performance": "/referral/v1/performance?" + query(county ? { county_code: county } : {}),
    };
    for (const a of document.querySelectorAll("a[data-link]")) {
      const href = hrefs[a.dataset.link];
      a.hidden = !href;
      if (href) a.href = href;
    }
    for (const a of document.querySelectorAll("a[data-csv]")) {
      a.href = `/${a.dataset.csv}/v1/figures?` + query({ ...params, format: "csv" });
    }
  }

  async function refresh() {
    const mine = ++generation;
    const params = filters();
    history.replaceState(null, "", "?" + query(params));
    links(params);
    $("status").textContent = "loading…";
    const [results, cards] = await Promise.all([
      Promise.allSettled(SERVICES.map((s) => figures(s, params))),
      Promise.allSettled([scorecards(params)]),
    ]);
    if (mine !== generation) return;
    const data = {};
    const missing = [];
    results.forEach((r, i) => {
      if (r.status === "fulfilled") data[SERVICES[i]] = r.value;
      else missing.push(SERVICES[i]);
    });
    render(data);
    renderScorecards(cards[0].status === "fulfilled" ? cards[0].value : null);
    document.body.dataset.ready = String(mine);
    const signIn = results.some((r) => r.status === "rejected" && String(r.reason.message).startsWith("sign in"));
    $("status").textContent = signIn ? "sign in: paste an access token (python -m services token)"
      : missing.length ? `not reachable: ${missing.join(", ")}` : "";
  }

  function fillTownships() {
    const county = $("county").value;
    const select = $("township");
    const keep = select.value;
    select.length = 1;
    for (const c of places.counties) {
      if (county && c.code !== county) continue;
      for (const t of c.townships) select.add(new Option(`${t.name} ${t.code}`, t.code));
    }
    select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
  }

  async function start() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) {
      sessionStorage.setItem("assistance-token", fragment.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    $("token").value = token() ? "••••••••" : "";
    $("token").addEventListener("change", () => {
      sessionStorage.setItem("assistance-token", $("token").value.trim());
      refresh();
    });
    for (const a of document.querySelectorAll("a[data-link], a[data-csv]")) {
      a.addEventListener("click", openAuthorised);
    }
    try {
      const response = await fetch("yangquan.json");
      if (response.ok) places = await response.json();
    } catch (e) {
      places = { counties: [] };
    }
    for (const c of places.counties) {
      $("county").add(new Option(`${c.name} ${c.code}`, c.code));
      for (const t of c.townships) townshipNames[t.code] = t.name;
    }
    const initial = new URLSearchParams(location.search);
    $("county").value = initial.get("county_code") || "";
    fillTownships();
    $("township").value = initial.get("township_code") || "";
    $("from").value = initial.get("from") || "";
    $("to").value = initial.get("to") || "";
    $("category").value = initial.get("category") || "";
    $("county").addEventListener("change", () => { fillTownships(); refresh(); });
    for (const id of ["township", "from", "to", "category"]) $(id).addEventListener("change", refresh);
    $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
    await refresh();
  }

  start();
})();
