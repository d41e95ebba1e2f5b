/* presales-analytics dashboard: filters, KPI tiles, charts and tables from the embedded data.
   Offline: no request of any kind. Every text from the data is set with textContent, never as HTML.
   The data's layout is documented in presales_analytics/dashboard/data.py. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("dashboard-data").textContent);
  var L = D.labels, lang = D.meta.lang, Z = D.z;
  var DIMS = ["region", "department", "grade", "director"];     // a cell's 4 indexes, in this order
  var FILTERS = ["region", "department", "grade", "director"];
  var F = {region: -1, department: -1, grade: -1, director: -1};
  // projects listed in the stalled table: [id, cell, stage, entered_at, days_in_stage, name, customer]
  var P = D.projects.map(function (r) {
    return {id: r[0], cell: r[1], stage: r[2], entered: r[3], days: r[4], name: r[5], customer: r[6]};
  });
  var STAGE = {};
  D.stages.forEach(function (s) { STAGE[s.key] = s.label; });

  // ---------------------------------------------------------------- formatting and statistics
  // every number is computed and printed by PresalesStats (stats.js), tested against the Python side
  var S = PresalesStats, bad = S.missing;
  function amt(y) { return S.amount(y, lang); }
  function pct(r, d) { return S.pct(r, d === undefined ? 1 : d); }
  function num(v) { return S.count(v); }
  function days(v) { return S.days(v, lang); }
  function ymd(iso) {
    if (!iso) return "—";
    var p = iso.split("-").map(Number);
    var M = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    return lang === "zh" ? p[0] + "年" + p[1] + "月" + p[2] + "日" : p[2] + " " + M[p[1] - 1] + " " + p[0];
  }

  // ---------------------------------------------------------------- filtering
  var KEPT = {};                   // per "except" dimension: one flag per cell, for the current filters
  function keep(cell, except) {
    var key = except || "", flags = KEPT[key];
    if (!flags) {
      flags = KEPT[key] = new Uint8Array(D.cells.length);
      D.cells.forEach(function (c, n) {
        for (var i = 0; i < FILTERS.length; i++) {
          var k = FILTERS[i];
          if (k !== except && F[k] >= 0 && c[DIMS.indexOf(k)] !== F[k]) return;
        }
        flags[n] = 1;
      });
    }
    return flags[cell] === 1;
  }
  function scopeKey() {            // the most specific single-value scope the filters name
    var kinds = ["director", "department", "region"];
    for (var i = 0; i < kinds.length; i++) {
      var k = kinds[i];
      if (F[k] >= 0) {
        var key = k + ":" + D.dims[k][F[k]];
        if (D.scopes[key]) return key;
      }
    }
    return "company";
  }
  function gradeKey() { return F.grade >= 0 ? D.dims.grade[F.grade] : ""; }
  function bucket(name) { return D.buckets.indexOf(name); }
  // sums of the cube's measures for one bucket, optionally grouped by a dimension (index -> sums)
  function sums(b, groupDim, except) {   // cube rows: [cell, bucket, won, closed, won_amount]
    var out = {}, gi = groupDim ? DIMS.indexOf(groupDim) : -1;
    D.cube.forEach(function (r) {
      if (r[1] !== b || !keep(r[0], except)) return;
      var g = gi >= 0 ? D.cells[r[0]][gi] : "all";
      var s = out[g] || (out[g] = {won: 0, closed: 0, won_amount: 0});
      s.won += r[2]; s.closed += r[3]; s.won_amount += r[4];
    });
    return groupDim ? out : (out.all || {won: 0, closed: 0, won_amount: 0});
  }
  function stalledCount(part, which) {
    var n = 0;
    part["stalled_" + which].forEach(function (r) { if (keep(r[0])) n += r[1]; });
    return n;
  }
  function complianceRows(which) {  // per cell (a project's checks are the same in every scope)
    return D.compliance[which].filter(function (r) { return keep(r[0]); });
  }
  function pipeline(part, which) {
    var g = gradeKey(), s = {projects: 0, amount: 0, weighted: 0};
    part["pipeline_" + which].forEach(function (r) {
      if (g && r[0] !== g) return;
      s.projects += r[1]; s.amount += r[2] || 0; s.weighted += r[3] || 0;
    });
    return s;
  }
  function cycleMedian(which) {
    return S.median(D.cycle[which].filter(function (r) { return keep(r[0]); }).map(function (r) { return r[1]; }));
  }

  // ---------------------------------------------------------------- KPI tiles
  function figures(which, part) {
    var s = sums(bucket(which)), k = {};
    k.won_amount = s.won_amount;
    k.target = part["target_" + which];
    k.attainment = S.rate(s.won_amount, k.target);
    k.win_rate = S.rate(s.won, s.closed);
    k.won = s.won; k.closed = s.closed;
    k.interval = S.wilson(s.won, s.closed, Z);
    var pl = pipeline(part, which);
    k.open_amount = pl.amount; k.weighted_amount = pl.weighted; k.open_projects = pl.projects;
    k.cycle = cycleMedian(which);
    k.cycle_n = D.cycle[which].filter(function (r) { return keep(r[0]); }).length;
    k.stalled = stalledCount(part, which);
    var due = 0, passed = 0;
    complianceRows(which).forEach(function (r) { due += r[1]; passed += r[2]; });
    k.compliance = S.rate(passed, due); k.checks_due = due; k.checks_passed = passed;
    return k;
  }
  function setTile(id, value, sub, delta, good) {
    var tile = document.getElementById("kpi-" + id);
    tile.querySelector(".value").textContent = value;
    tile.querySelector(".sub").textContent = sub;
    var d = tile.querySelector(".delta");
    d.textContent = delta.text;
    d.className = "delta " + (delta.sign === 0 || delta.sign === null ? "flat" :
      ((delta.sign > 0) === (good !== false) ? "up" : "down"));
  }
  function deltaRel(a, b) {        // relative change of an amount or count
    if (D.meta.compare === false) return {text: L.no_compare, sign: null};   // period all
    var r = S.change(a, b);
    if (bad(r)) return {text: L.vs_prev + " —", sign: null};
    return {text: L.vs_prev + " " + (r >= 0 ? "+" : "") + S.pct(r, 1), sign: Math.sign(r)};
  }
  function deltaPP(a, b) {         // change of a rate, in percentage points
    if (D.meta.compare === false) return {text: L.no_compare, sign: null};   // period all
    var d = S.points(a, b);
    if (bad(d)) return {text: L.vs_prev + " —", sign: null};
    return {text: L.vs_prev + " " + (d >= 0 ? "+" : "") + S.fixed(d, 1) + " " + L.pp, sign: Math.sign(d)};
  }
  function deltaAbs(a, b, unit) {
    if (D.meta.compare === false) return {text: L.no_compare, sign: null};   // period all
    var d = S.diff(a, b);
    if (bad(d)) return {text: L.vs_prev + " —", sign: null};
    return {text: L.vs_prev + " " + (d >= 0 ? "+" : "") + S.fixed(d, 0, true) + unit, sign: Math.sign(d)};
  }
  function renderKPIs(part) {
    var c = figures("cur", part), p = figures("prev", part);
    setTile("won_amount", amt(c.won_amount), L.won_projects.replace("{n}", num(c.won)), deltaRel(c.won_amount, p.won_amount));
    setTile("attainment", pct(c.attainment), L.target + " " + amt(c.target) + (F.grade >= 0 ? " · " + L.grade_note : ""),
      deltaPP(c.attainment, p.attainment));
    setTile("win_rate", pct(c.win_rate), L.interval + " " + pct(c.interval[0]) + "–" + pct(c.interval[1]) +
      " · " + num(c.won) + "/" + num(c.closed) + " " + L.closed_projects, deltaPP(c.win_rate, p.win_rate));
    setTile("open_amount", amt(c.open_amount), L.open_projects.replace("{n}", num(c.open_projects)),
      deltaRel(c.open_amount, p.open_amount));
    setTile("weighted_amount", amt(c.weighted_amount), L.weighted_sub, deltaRel(c.weighted_amount, p.weighted_amount));
    setTile("cycle", days(c.cycle), L.cycle_sub.replace("{n}", num(c.cycle_n)), deltaAbs(c.cycle, p.cycle, L.days_unit), false);
    setTile("stalled", num(c.stalled), L.stalled_sub.replace("{n}", num(c.open_projects)), deltaAbs(c.stalled, p.stalled, ""), false);
    setTile("compliance", pct(c.compliance), num(c.checks_passed) + "/" + num(c.checks_due) + " " + L.checks,
      deltaPP(c.compliance, p.compliance));
  }

  // ---------------------------------------------------------------- charts
  var PLOT_CONFIG = {displaylogo: false, responsive: true};
  function draw(id, mutate) {
    var fig = D.figures[id], data = JSON.parse(JSON.stringify(fig.data));
    mutate(data);
    Plotly.react(document.getElementById("chart-" + id), data, fig.layout, PLOT_CONFIG);
    if (!window.firstChartMs) window.firstChartMs = performance.now();   // read by benchmarks/dashboard.py
  }
  function errorBars(t, rate, low, high) {
    t.error_y.array = rate.map(function (r, i) { return bad(r) ? null : S.diff(high[i], r); });
    t.error_y.arrayminus = rate.map(function (r, i) { return bad(r) ? null : S.diff(r, low[i]); });
  }
  function clean(xs) { return xs.map(function (v) { return bad(v) ? null : v; }); }
  function attainmentChart(kind) {
    var won = sums(bucket("cur"), kind), names = [], y = [], cd = [];
    D.dims[kind].forEach(function (name, i) {
      var t = D.targets[kind][name];
      if (!t || !(t[0] > 0)) return;
      if (F[kind] >= 0 && F[kind] !== i) return;
      var w = won[i] ? won[i].won_amount : 0;
      if (F[kind] < 0 && !won[i] && !anyCell(kind, i)) return;
      names.push(name); y.push(S.rate(w, t[0]));
      cd.push(lang === "zh" ? [w / 1e4, t[0] / 1e4] : [w, t[0]]);
    });
    // sorted by what the bars draw, largest first (ties and no figure: the filter lists' pinyin order)
    var order = names.map(function (_, i) { return i; }).sort(function (a, b) {
      var ya = bad(y[a]) ? -Infinity : y[a], yb = bad(y[b]) ? -Infinity : y[b];
      return yb - ya || a - b;
    });
    names = order.map(function (i) { return names[i]; });
    cd = order.map(function (i) { return cd[i]; });
    y = order.map(function (i) { return y[i]; });
    draw("attainment_" + kind, function (d) { d[0].x = names; d[0].y = y; d[0].customdata = cd; });
  }
  function anyCell(kind, i) {      // does any project in the filters have this region/director?
    var di = DIMS.indexOf(kind);
    return D.cube.some(function (r) { return D.cells[r[0]][di] === i && keep(r[0], kind); });
  }
  function renderCharts(part) {
    attainmentChart("region");
    attainmentChart("director");
    var q = D.quarters.map(function (x) { return sums(bucket(x.key)); });
    var rate = q.map(function (s) { return S.rate(s.won, s.closed); });
    var iv = q.map(function (s) { return S.wilson(s.won, s.closed, Z); });
    draw("trend", function (d) {
      d[0].x = D.quarters.map(function (x) { return x.label; }); d[0].y = clean(rate);
      errorBars(d[0], rate, iv.map(function (v) { return v[0]; }), iv.map(function (v) { return v[1]; }));
      d[0].customdata = q.map(function (s) { return [s.won, s.closed]; });
    });
    var g = gradeKey(), fun = part.funnel[g] || {}, dur = part.durations[g] || {};
    var fStages = D.stages.filter(function (s) { return fun[s.key]; });
    draw("funnel", function (d) {
      d[0].y = fStages.map(function (s) { return s.label; });
      d[0].x = fStages.map(function (s) { return fun[s.key][0]; });
    });
    var dStages = D.stages.filter(function (s) { return dur[s.key]; });
    draw("durations", function (d) {
      var x = dStages.map(function (s) { return s.label; });
      d[0].x = x; d[0].y = clean(dStages.map(function (s) { return dur[s.key][1]; }));
      d[1].x = x; d[1].y = clean(dStages.map(function (s) { return dur[s.key][2]; }));
    });
    var lb = leaderboard(part);
    draw("leaderboard", function (d) {
      var x = lb.map(function (r) { return r.director; });
      d[0].x = x; d[0].y = clean(lb.map(function (r) { return r.score_low; }));   // what the rank is by
      var rt = lb.map(function (r) { return r.win_rate; });
      d[1].x = x; d[1].y = clean(rt);
      errorBars(d[1], rt, lb.map(function (r) { return r.low; }), lb.map(function (r) { return r.high; }));
      d[1].customdata = lb.map(function (r) { return [r.won, r.closed]; });
    });
    var ch = {}, total = 0, rows = [];
    D.channels.forEach(function (r) {    // [cell, channel (-1 direct), won_amount] of the period
      if (!keep(r[0])) return;
      ch[r[1]] = ch[r[1]] || {won_amount: 0};
      ch[r[1]].won_amount += r[2];
    });
    Object.keys(ch).forEach(function (k) { total += ch[k].won_amount; });
    Object.keys(ch).forEach(function (k) {
      var i = Number(k);
      rows.push({name: i < 0 ? L.direct : D.dims.channel[i], share: S.rate(ch[k].won_amount, total),
                 amount: ch[k].won_amount});
    });
    rows.sort(function (a, b) { return b.amount - a.amount; });
    draw("channels", function (d) {
      d[0].y = rows.map(function (r) { return r.name; }); d[0].x = clean(rows.map(function (r) { return r.share; }));
      d[0].customdata = rows.map(function (r) { return lang === "zh" ? r.amount / 1e4 : r.amount; });
    });
    return lb;
  }

  // ---------------------------------------------------------------- tables
  function leaderboard(part) {
    var byDir = sums(bucket("cur"), "director");
    return part.directors.map(function (r) {
      var i = D.dims.director.indexOf(r[0]), s = byDir[i] || {won: 0, closed: 0, won_amount: 0};
      var iv = S.wilson(s.won, s.closed, Z);
      return {rank: r[1], director: r[0], score: r[2], score_low: r[3], attainment: r[4], compliance: r[5],
              stalled: r[6], won: s.won, closed: s.closed, win_rate: S.rate(s.won, s.closed),
              low: iv[0], high: iv[1], won_amount: s.won_amount};
    }).filter(function (r) {
      var i = D.dims.director.indexOf(r.director);
      return (F.director < 0 || F.director === i) && (F.grade < 0 || r.closed > 0 || anyCell("director", i));
    });
  }
  var SORT = {};
  function table(id, cols, rows, total) {
    var el = document.getElementById("t-" + id), st = SORT[id] || (SORT[id] = {key: null, dir: 1});
    if (st.key) {
      var col = cols.filter(function (c) { return c.key === st.key; })[0];
      rows = rows.slice().sort(function (a, b) {
        var x = a[st.key], y = b[st.key];
        if (bad(x) && typeof x !== "string") return 1;
        if (bad(y) && typeof y !== "string") return -1;
        var c = col && col.num ? x - y : String(x).localeCompare(String(y), lang === "zh" ? "zh-CN" : "en");
        return c * st.dir;
      });
    }
    var thead = el.querySelector("thead"), tbody = el.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    var tr = document.createElement("tr");
    cols.forEach(function (c) {
      var th = document.createElement("th");
      th.textContent = c.label + (st.key === c.key ? (st.dir > 0 ? " ▲" : " ▼") : "");
      th.className = c.num ? "num" : "";
      th.tabIndex = 0;
      function sortBy() { st.dir = st.key === c.key ? -st.dir : 1; st.key = c.key; table(id, cols, el._rows, total); }
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(); } });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    el._rows = rows;
    rows.slice(0, D.meta.table_limit).forEach(function (r) {
      var row = document.createElement("tr");
      cols.forEach(function (c) {
        var td = document.createElement("td");
        td.textContent = c.fmt ? c.fmt(r[c.key], r) : (r[c.key] === null || r[c.key] === undefined ? "—" : String(r[c.key]));
        if (c.num) td.className = "num";
        row.appendChild(td);
      });
      tbody.appendChild(row);
    });
    var note = document.getElementById("n-" + id);
    var shown = Math.min(rows.length, D.meta.table_limit), all = total === undefined ? rows.length : total;
    note.textContent = shown < all ? L.first_rows.replace("{k}", num(shown)).replace("{n}", num(all)) :
      L.rows.replace("{n}", num(all));
  }
  function dim(kind, cell) { var i = D.cells[cell][DIMS.indexOf(kind)]; return i >= 0 ? D.dims[kind][i] : "—"; }
  function renderTables(part, lb) {
    table("leaderboard", [
      {key: "rank", label: L.col.rank, num: true},
      {key: "director", label: L.col.director},
      {key: "score", label: L.col.score, num: true, fmt: S.score},
      {key: "score_low", label: L.col.score_low, num: true, fmt: S.score},
      {key: "win_rate", label: L.col.win_rate, num: true,
       fmt: function (v, r) { return pct(v) + (bad(v) ? "" : " (" + pct(r.low, 0) + "–" + pct(r.high, 0) + ")"); }},
      {key: "closed", label: L.col.closed, num: true, fmt: function (v, r) { return num(r.won) + "/" + num(v); }},
      {key: "won_amount", label: L.col.won_amount, num: true, fmt: amt},
      {key: "attainment", label: L.col.attainment, num: true, fmt: function (v) { return pct(v); }},
      {key: "compliance", label: L.col.compliance, num: true, fmt: function (v) { return pct(v); }},
      {key: "stalled", label: L.col.stalled, num: true, fmt: num}
    ], lb);
    // the scope's most overdue stalled projects ([project, limit_days, meeting held]), narrowed by the filters
    var stalled = part.stalled_rows.filter(function (r) { return keep(P[r[0]].cell); }).map(function (r) {
      var p = P[r[0]], g = D.cells[p.cell][2];
      return {project_id: p.id, name: p.name, customer: p.customer, director: dim("director", p.cell),
              region: dim("region", p.cell), grade: g >= 0 ? D.grade_labels[g] : "—",
              stage: STAGE[p.stage] || p.stage, entered_at: p.entered, days_in_stage: p.days, limit_days: r[1],
              days_over: S.diff(p.days, r[1]), meeting: r[2] === 1};
    });
    var stalledTotal = stalledCount(part, "cur");
    table("stalled", [
      {key: "project_id", label: L.col.project_id}, {key: "name", label: L.col.name},
      {key: "customer", label: L.col.customer}, {key: "director", label: L.col.director},
      {key: "region", label: L.col.region}, {key: "grade", label: L.col.grade}, {key: "stage", label: L.col.stage},
      {key: "entered_at", label: L.col.entered_at, fmt: ymd},
      {key: "days_in_stage", label: L.col.days_in_stage, num: true, fmt: num},
      {key: "limit_days", label: L.col.limit_days, num: true, fmt: num},
      {key: "days_over", label: L.col.days_over, num: true, fmt: num},
      {key: "meeting", label: L.col.meeting, fmt: function (v) { return v ? L.yes : L.no; }}
    ], stalled, stalledTotal);
    var gaps = {};                         // per director: [due, passed, projects, with gaps, failures…]
    complianceRows("cur").forEach(function (r) {
      var d = dim("director", r[0]), g = gaps[d] || (gaps[d] = r.slice(1).map(function () { return 0; }));
      r.slice(1).forEach(function (v, i) { g[i] += v; });
    });
    var cols = [{key: "director", label: L.col.director},
                {key: "projects", label: L.col.projects_checked, num: true, fmt: num},
                {key: "gaps", label: L.col.projects_with_gaps, num: true, fmt: num}];
    D.checks.forEach(function (c) { cols.push({key: c, label: L.check[c], num: true, fmt: num}); });
    cols.push({key: "rate", label: L.col.checks, num: true,
               fmt: function (v, r) { return num(r.passed) + "/" + num(r.due) + " (" + pct(v, 1) + ")"; }});
    table("compliance", cols, Object.keys(gaps).map(function (d) {
      var g = gaps[d], row = {director: d, due: g[0], passed: g[1], projects: g[2], gaps: g[3],
                              rate: S.rate(g[1], g[0])};
      D.checks.forEach(function (c, i) { row[c] = g[4 + i]; });
      return row;
    }).sort(function (a, b) { return b.gaps - a.gaps; }));
  }

  // the win/loss panel: the scope's figures as the library computed them (nothing summed here)
  function renderWinLoss(part) {
    var na = L.not_available, rows = [], b = part.bids, c = part.customers, m = part.collection;
    function fill(text, values) {
      return Object.keys(values).reduce(function (t, k) { return t.replace("{" + k + "}", values[k]); }, text);
    }
    if (b) {
      rows.push({figure: L.col.bids, value: num(b[0]), basis: ""});
      rows.push({figure: L.col.bid_win_rate, value: pct(b[5]) + (bad(b[5]) ? "" : " (" + pct(b[6], 0) + "–" + pct(b[7], 0) + ")"),
                 basis: fill(L.wl_bids, {won: num(b[1]), decided: num(b[3]), open: num(b[4])})});
    }
    rows.push({figure: L.col.customers_won, value: c ? num(c[0]) : na, basis: c ? L.wl_new : ""});
    rows.push({figure: L.col.repeat_rate, value: c ? pct(c[1]) : na, basis: c ? fill(L.wl_repeat, {prior: num(c[2])}) : ""});
    rows.push({figure: L.col.top10_share, value: c ? pct(c[3]) : na, basis: ""});
    rows.push({figure: L.col.collection_rate, value: m && m[3] !== null ? pct(m[2]) : na,
               basis: m && m[3] !== null ? fill(L.wl_collection, {collected: amt(m[1]), won: amt(m[0])}) : ""});
    rows.push({figure: L.col.overdue, value: m && m[3] !== null ? num(m[3]) : na, basis: m && m[3] ? amt(m[4]) : ""});
    rows.push({figure: L.col.satisfaction_mean, value: m && m[5] > 0 ? S.fixed(m[6], 2) : na,
               basis: m ? fill(L.wl_rated, {n: num(m[5])}) : ""});
    table("winloss", [{key: "figure", label: L.figure}, {key: "value", label: L.value, num: true},
                      {key: "basis", label: L.basis_col}], rows);
    table("rivals", [
      {key: "competitor", label: L.col.competitor, fmt: function (v) { return v === null ? L.none_recorded : v; }},
      {key: "met", label: L.col.met, num: true, fmt: num},
      {key: "rate", label: L.col.rival_win_rate, num: true,
       fmt: function (v, r) { return pct(v) + (bad(v) ? "" : " (" + num(r.won) + "/" + num(r.decided) + ")"); }},
      {key: "share", label: L.col.share_of_projects, num: true, fmt: function (v) { return pct(v); }}
    ], (part.rivals || []).map(function (r) {
      return {competitor: r[0], met: r[1], won: r[2], decided: r[3], rate: r[4], share: r[7]};
    }));
    var trend = part.trend || {quarters: [], rows: []};
    table("rival-trend", [{key: "competitor", label: L.col.competitor}].concat(trend.quarters.map(function (q, i) {
      return {key: "q" + i, label: q, num: true, fmt: function (v, r) {
        var c = r["c" + i];
        return c ? pct(c[2]) + (c[1] > 0 ? " (" + num(c[0]) + "/" + num(c[1]) + ")" : "") : "—";
      }};
    })), trend.rows.map(function (r) {
      var row = {competitor: r[0]};
      r[1].forEach(function (c, i) { row["q" + i] = c ? c[2] : null; row["c" + i] = c; });
      return row;
    }));
    table("reasons", [
      {key: "reason", label: L.col.reason, fmt: function (v) { return v === null ? L.none_recorded : v; }},
      {key: "projects", label: L.col.lost_projects, num: true, fmt: num},
      {key: "amount", label: L.col.amount_lost, num: true, fmt: amt},
      {key: "share", label: L.col.loss_share, num: true, fmt: function (v) { return pct(v); }}
    ], (part.reasons || []).map(function (r) { return {reason: r[0], projects: r[1], amount: r[2], share: r[3]}; }));
    // the key members: each one's scorecard row as the library computed it for this scope
    var members = part.members;
    table("members", [
      {key: "role", label: L.col.role, fmt: function (v) { return L.roles[v] || v; }},
      {key: "member", label: L.col.member},
      {key: "projects", label: L.col.member_projects, num: true, fmt: num},
      {key: "rate", label: L.col.win_rate, num: true,
       fmt: function (v, r) { return pct(v) + (bad(v) ? "" : " (" + num(r.won) + "/" + num(r.closed) + ")"); }},
      {key: "won_amount", label: L.col.won_amount, num: true, fmt: amt},
      {key: "stalled", label: L.col.stalled, num: true, fmt: num},
      {key: "compliance", label: L.col.compliance, num: true, fmt: function (v) { return pct(v); }},
      {key: "small", label: L.col.small_sample, fmt: function (v) { return v ? L.yes : L.no; }}
    ], (members || []).map(function (r) {
      return {role: r[0], member: r[1], projects: r[2], closed: r[3], won: r[4], rate: r[5], won_amount: r[6],
              stalled: r[7], compliance: r[8], small: r[9]};
    }), part.members_total);
    if (!members) document.getElementById("n-members").textContent = L.not_available;
  }

  // ---------------------------------------------------------------- filters and update
  // each filter list offers only what the other filters allow (a region's directors, …); a choice the
  // others no longer allow goes back to "all"
  function narrow() {
    var changed = false;
    FILTERS.forEach(function (k) {
      var di = DIMS.indexOf(k), allowed = {};
      D.cells.forEach(function (c, n) { if (keep(n, k)) allowed[c[di]] = true; });
      var sel = document.getElementById("f-" + k);
      [].forEach.call(sel.options, function (o) {
        var i = Number(o.value), ok = i < 0 || allowed[i] === true;
        o.hidden = !ok; o.disabled = !ok;
      });
      if (F[k] >= 0 && !allowed[F[k]]) { F[k] = -1; sel.value = "-1"; changed = true; }
    });
    if (changed) KEPT = {};
    return changed;
  }
  // the header names every filter in force, so a forwarded screenshot says what it shows
  function heading() {
    var named = FILTERS.filter(function (k) { return F[k] >= 0; }).map(function (k) {
      return k === "grade" ? D.grade_labels[F.grade] : D.dims[k][F[k]];
    });
    document.getElementById("period").textContent = D.meta.period_label + " · " +
      (named.length ? named.join(" · ") : D.meta.scope_label) + (D.meta.banner ? " · " + D.meta.banner : "");
    document.title = L.text.title + " · " + document.getElementById("period").textContent;
  }
  function update() {
    KEPT = {};
    while (narrow()) { /* a reset choice can widen the others: until nothing changes */ }
    var key = scopeKey(), part = D.scopes[key];
    renderKPIs(part);
    var lb = renderCharts(part);
    renderTables(part, lb);
    renderWinLoss(part);
    heading();
    // the target is the scope's (targets are set per scope, not per cell): when the filters name more than
    // that scope, the attainment tile says so itself
    var ignored = FILTERS.filter(function (k) { return k !== "grade" && F[k] >= 0 && key !== k + ":" + D.dims[k][F[k]]; });
    var note = ignored.length ? L.tile_scope.replace("{s}", key === "company" ? L.company : key.replace(/^[a-z]+:/, ""))
                                  .replace("{f}", ignored.map(function (k) { return D.dims[k][F[k]]; }).join("、")) : "";
    var tile = document.getElementById("kpi-attainment"), n = tile.querySelector(".scope-note");
    if (!n) { n = document.createElement("div"); n.className = "scope-note"; tile.appendChild(n); }
    n.textContent = note; n.hidden = !note;
    var several = FILTERS.filter(function (k) { return k !== "grade" && F[k] >= 0; }).length > 1;
    document.getElementById("basis").textContent = key === "company" && !several ? "" :
      L.basis.replace("{s}", key === "company" ? L.company : key.replace(/^[a-z]+:/, "")) + (several ? " " + L.several : "");
  }
  FILTERS.forEach(function (k) {
    var sel = document.getElementById("f-" + k), all = document.createElement("option");
    all.value = "-1"; all.textContent = L.all; sel.appendChild(all);
    D.dims[k].forEach(function (v, i) {
      var o = document.createElement("option");
      o.value = String(i); o.textContent = k === "grade" ? D.grade_labels[i] : v;
      sel.appendChild(o);
    });
    sel.addEventListener("change", function () { F[k] = Number(sel.value); update(); });
  });
  document.getElementById("reset").addEventListener("click", function () {
    FILTERS.forEach(function (k) { F[k] = -1; document.getElementById("f-" + k).value = "-1"; });
    update();
  });
  function terms(id, pairs) {
    var dl = document.getElementById(id);
    pairs.forEach(function (p) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = p[0]; dd.textContent = p[1]; dl.appendChild(dt); dl.appendChild(dd);
    });
  }
  terms("facts", D.meta.facts);
  terms("definitions", D.meta.definitions);
  document.getElementById("period").textContent = D.meta.heading;   // heading() names the filters from here on
  document.querySelectorAll("[data-l]").forEach(function (el) { el.textContent = L.text[el.getAttribute("data-l")]; });
  update();
  document.body.setAttribute("data-ready", "1");
})();
