// The pictures of `lazykite-sim run --html FILE` (sim/harness/htmlreport.h).
// Inlined into the page with the report (its JSON in the element
// #lazykite-report; every field described in report.schema.json); nothing
// is loaded from anywhere else. It draws, into #lazykite-main:
//   the verdict and the invariants (held / violated / not checked, evidence),
//   the pipeline as a graph of steps: the step that each depends on
//     (steps[].depends_on) on its left, groups as boxes holding their steps,
//     each coloured by outcome, each derivation build (builds[]) inside the
//     step whose process asked for it, marked construction or execution,
//     a violation in red (class "violation"),
//   a timeline of the steps per agent (steps[].started, seconds),
//   the steps as a table.
// When done it sets data-rendered="ok" on <html> (the tests read it), or
// "error" with the message in #lazykite-error.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var OUTCOME_COLOUR = {
    passed: "#2e9e55", soft_failed: "#e0a030", failed: "#d33b3b", timed_out: "#b23a8a",
    canceled: "#8a6d5a", skipped: "#9aa3ad", filtered: "#c8ced4", unblocked: "#7d8fe0",
    blocked: "#6a4fc2", recorded: "#5aa3b5", waiting_failed: "#e6a7a7", broken: "#a05050",
    not_run: "#d9dde2", pending: "#d9dde2", running: "#4a90d9"
  };
  var VIOLATION = "#d40000";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function cut(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
  }
  function secs(x) { return x === null || x === undefined ? "-" : x.toFixed(2) + " s"; }
  function stepName(s) { return s.label || s.key || s.type; }
  function colour(o) { return OUTCOME_COLOUR[o] || "#cccccc"; }
  // Black or white text, whichever reads on `bg` (#rrggbb).
  function ink(bg) {
    var r = parseInt(bg.substr(1, 2), 16), g = parseInt(bg.substr(3, 2), 16), b = parseInt(bg.substr(5, 2), 16);
    return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1d2329" : "#ffffff";
  }

  // ---- the header, the invariants ---------------------------------------
  function header(r, main) {
    var h = el("header", { "class": r.ok ? "verdict ok" : "verdict failed" });
    h.appendChild(el("h1", {}, (r.ok ? "\u2714 ok: " : "\u2718 FAILED: ") + r.fixture));
    h.appendChild(el("p", {}, "depot " + r.depot + ", branch " + r.branch + ", " + r.agents +
      " agent(s), generator: " + (r.generator === null ? "lazykite (the static pipeline's)" : r.generator) +
      (r.gc_drvs ? ", .drv files deleted after construction" : "") + "; the build took " + secs(r.seconds) +
      " (lazykite-sim " + r.version + ")"));
    if (r.failure) h.appendChild(el("p", { "class": "failure" }, "the run failed: " + r.failure));
    main.appendChild(h);
  }

  function invariants(r, main) {
    var sec = el("section", { id: "invariants" });
    sec.appendChild(el("h2", {}, "Invariants"));
    var t = el("table");
    var head = el("tr");
    ["invariant", "verdict", "checked", "what"].forEach(function (c) { head.appendChild(el("th", {}, c)); });
    t.appendChild(head);
    r.invariants.forEach(function (inv) {
      var tr = el("tr", { "class": "inv " + inv.verdict, "data-invariant": inv.id });
      tr.appendChild(el("td", { "class": "id" }, inv.id));
      tr.appendChild(el("td", { "class": "v" }, inv.verdict + (inv.expected_violation ? " (expected)" : "")));
      tr.appendChild(el("td", { "class": "n" }, inv.checked));
      var td = el("td", {}, inv.summary || "");
      if (inv.evidence.length) {
        var ul = el("ul");
        inv.evidence.forEach(function (e) { ul.appendChild(el("li", {}, e)); });
        td.appendChild(ul);
      }
      tr.appendChild(td);
      t.appendChild(tr);
    });
    sec.appendChild(t);
    if (r.unmet.length) {
      sec.appendChild(el("h3", {}, "Unmet expectations"));
      var ul = el("ul", { "class": "unmet" });
      r.unmet.forEach(function (u) { ul.appendChild(el("li", {}, u)); });
      sec.appendChild(ul);
    }
    main.appendChild(sec);
  }

  // ---- the graph ---------------------------------------------------------
  var NODE_W = 250, LINE = 15, PAD = 6, COL_GAP = 70, ROW_GAP = 14, GROUP_PAD = 8, GROUP_HEAD = 20;

  // Units: a top-level step, or a group with its steps. Each unit gets a
  // rank (column): one more than the highest rank of a unit it depends on.
  function layout(r, buildsOf) {
    var byId = {}, units = [], unitOf = {};
    r.steps.forEach(function (s, i) { s._index = i; byId[s.id] = s; });
    r.steps.forEach(function (s) {
      if (s.group === null) {
        var u = { step: s, members: [], rank: 0 };
        units.push(u);
        unitOf[s.id] = u;
        s._unit = u;
      }
    });
    // members follow their group (report order: group members after their group)
    var current = null;
    r.steps.forEach(function (s) {
      if (s.type === "group" && s.group === null) current = unitOf[s.id];
      else if (s.group !== null && current) { current.members.push(s); unitOf[s.id] = current; s._unit = current; }
      else if (s.group === null) current = null;
    });
    var edges = [];
    r.steps.forEach(function (s) {
      s.depends_on.forEach(function (d) { if (byId[d]) edges.push({ from: byId[d], to: s }); });
    });
    // longest path, bounded (a dependency cycle stops growing after n passes)
    for (var pass = 0; pass < units.length + 1; pass++) {
      var changed = false;
      edges.forEach(function (e) {
        var a = unitOf[e.from.id], b = unitOf[e.to.id];
        if (!a || !b || a === b) return;
        if (b.rank < a.rank + 1 && a.rank + 1 <= units.length) { b.rank = a.rank + 1; changed = true; }
      });
      if (!changed) break;
    }
    // sizes: a step is its two lines plus a line per build
    function stepHeight(s) { return 2 * LINE + PAD * 2 + ((buildsOf[s.id] || []).length + s.violates.length) * LINE; }
    units.forEach(function (u) {
      if (!u.members.length) { u.h = stepHeight(u.step); u.w = NODE_W; return; }
      var h = GROUP_HEAD + GROUP_PAD;
      u.members.forEach(function (m) { m._h = stepHeight(m); h += m._h + ROW_GAP / 2; });
      u.h = h + GROUP_PAD / 2;
      u.w = NODE_W + 2 * GROUP_PAD;
    });
    var cols = [];
    units.forEach(function (u) { (cols[u.rank] = cols[u.rank] || []).push(u); });
    var x = 10, height = 0;
    var colX = [];
    for (var c = 0; c < cols.length; c++) {
      colX[c] = x;
      var col = cols[c] || [], y = 10, w = 0;
      col.forEach(function (u) {
        u.x = x; u.y = y; y += u.h + ROW_GAP; w = Math.max(w, u.w);
        if (u.members.length) {
          var my = u.y + GROUP_HEAD;
          u.members.forEach(function (m) { m._x = u.x + GROUP_PAD; m._y = my; my += m._h + ROW_GAP / 2; });
        } else { u.step._x = u.x; u.step._y = u.y; u.step._h = u.h; }
      });
      height = Math.max(height, y);
      x += (w || NODE_W) + COL_GAP;
    }
    return { units: units, edges: edges, width: x - COL_GAP + 20, height: height + 10, unitOf: unitOf };
  }

  function drawStep(g, s, builds) {
    var node = svg("g", { "class": "step outcome-" + s.outcome + (s.violates.length ? " violation" : ""),
      "data-step": s.id, transform: "translate(" + s._x + "," + s._y + ")" });
    var fill = colour(s.outcome);
    node.appendChild(svg("title", {}, stepName(s) + "\n" + s.outcome + (s.reason ? " (" + s.reason + ")" : "") +
      (s.agent ? "\non " + s.agent + ", started at " + secs(s.started) + ", ran " + secs(s.seconds) : "") +
      (s.violates.length ? "\nviolates " + s.violates.join(", ") : "")));
    node.appendChild(svg("rect", { width: NODE_W, height: s._h, rx: 6, fill: "#ffffff",
      stroke: s.violates.length ? VIOLATION : fill, "stroke-width": s.violates.length ? 3 : 1.5,
      "stroke-dasharray": s.outcome === "filtered" || s.outcome === "skipped" ? "5 3" : "none" }));
    node.appendChild(svg("rect", { width: NODE_W, height: LINE + PAD, rx: 6, fill: fill }));
    var kind = s.type === "command" || stepName(s) === s.type ? "" : s.type + ": ";
    node.appendChild(svg("text", { x: PAD, y: LINE, fill: ink(fill), "class": "label" }, cut(kind + stepName(s), 33)));
    node.appendChild(svg("text", { x: PAD, y: 2 * LINE + PAD, "class": "meta" },
      s.outcome + (s.agent ? " \u00b7 " + s.agent + " \u00b7 " + secs(s.seconds) : s.reason ? " \u00b7 " + cut(s.reason, 26) : "")));
    var y = 2 * LINE + PAD;
    (builds || []).forEach(function (b) {
      y += LINE;
      var construction = b.phase === "construction";
      var bad = b.violates.length > 0;
      var cls = "build " + (construction ? "construction" : "execution") + " event-" + b.event + (bad ? " violation" : "");
      var bg = svg("g", { "class": cls, "data-drv": b.drv === null ? b.drv_path : b.drv, transform: "translate(" + PAD + "," + (y - LINE + 4) + ")" });
      bg.appendChild(svg("title", {}, (b.event === "valid" ? "found valid" : b.event === "fail" ? "build failed" : "built") +
        " in phase " + b.phase + ": " + (b.drv || "") + " " + (b.drv_path || "") + (b.cause ? " (" + b.cause + ")" : "") +
        (bad ? "\nviolates " + b.violates.join(", ") : "")));
      var chip = bad ? VIOLATION : construction ? "#f2b138" : "#5b8def";
      bg.appendChild(svg("rect", { width: NODE_W - 2 * PAD, height: LINE - 2, rx: 3,
        fill: b.event === "valid" && !bad ? "#ffffff" : chip, stroke: chip }));
      var tag = (construction ? "C" : "E") + (b.event === "valid" ? " valid " : b.event === "fail" ? " FAIL " : " built ");
      bg.appendChild(svg("text", { x: 4, y: LINE - 5, "class": "chip",
        fill: b.event === "valid" && !bad ? "#1d2329" : ink(chip) }, cut(tag + (b.drv || b.drv_path || "?"), 38)));
      node.appendChild(bg);
    });
    s.violates.forEach(function (id) {
      y += LINE;
      node.appendChild(svg("text", { x: PAD, y: y + 2, fill: VIOLATION, "class": "violates" }, cut("\u26a0 violates " + id, 38)));
    });
    g.appendChild(node);
  }

  function graph(r, main) {
    var sec = el("section", { id: "graph" });
    sec.appendChild(el("h2", {}, "The pipeline"));
    sec.appendChild(el("p", { "class": "note" },
      "Each step on the right of what it depends on; groups hold their steps. Inside a step, what its " +
      "processes built: C during construction (while the pipeline was generated), E during execution; " +
      "a white chip was found valid already; red is a violation."));
    var buildsOf = {};
    r.builds.forEach(function (b) { if (b.step !== null) (buildsOf[b.step] = buildsOf[b.step] || []).push(b); });
    var L = layout(r, buildsOf);
    var root = svg("svg", { width: L.width, height: L.height, viewBox: "0 0 " + L.width + " " + L.height, "class": "graph" });
    var defs = svg("defs");
    var m = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    m.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7a8794" }));
    defs.appendChild(m);
    root.appendChild(defs);
    var groups = svg("g"), lines = svg("g", { "class": "edges" }), nodes = svg("g");
    root.appendChild(groups); root.appendChild(lines); root.appendChild(nodes);
    L.units.forEach(function (u) {
      if (!u.members.length) { drawStep(nodes, u.step, buildsOf[u.step.id]); return; }
      var s = u.step, fill = colour(s.outcome);
      var box = svg("g", { "class": "group outcome-" + s.outcome, "data-step": s.id });
      box.appendChild(svg("title", {}, "group " + stepName(s) + ": " + s.outcome + (s.reason ? " (" + s.reason + ")" : "")));
      box.appendChild(svg("rect", { x: u.x, y: u.y, width: u.w, height: u.h, rx: 9, fill: "#f4f6f8", stroke: fill, "stroke-width": 2 }));
      box.appendChild(svg("text", { x: u.x + GROUP_PAD, y: u.y + 15, "class": "glabel" }, cut("group: " + stepName(s) + " \u00b7 " + s.outcome, 38)));
      groups.appendChild(box);
      u.members.forEach(function (mm) { drawStep(nodes, mm, buildsOf[mm.id]); });
    });
    function anchor(s, right) {
      if (s._x === undefined) { var u = L.unitOf[s.id]; return { x: u.x + (right ? u.w : 0), y: u.y + 12 }; }
      return { x: s._x + (right ? NODE_W : 0), y: s._y + LINE / 2 + 3 };
    }
    L.edges.forEach(function (e) {
      var a = anchor(e.from, true), b = anchor(e.to, false);
      var inside = L.unitOf[e.from.id] === L.unitOf[e.to.id];
      var d;
      if (inside) { // within a group: down its left side
        a = { x: e.from._x, y: e.from._y + 10 }; b = { x: e.to._x, y: e.to._y + 10 };
        d = "M" + a.x + "," + a.y + " C" + (a.x - 18) + "," + a.y + " " + (b.x - 18) + "," + b.y + " " + b.x + "," + b.y;
      } else {
        var mx = (a.x + b.x) / 2;
        d = "M" + a.x + "," + a.y + " C" + mx + "," + a.y + " " + mx + "," + b.y + " " + b.x + "," + b.y;
      }
      // a wait or block behind many steps: its edges faint, so that the rest reads
      var faint = (e.to.type === "wait" || e.to.type === "block") && e.to.depends_on.length > 8;
      var p = svg("path", { d: d, fill: "none", stroke: "#7a8794", "stroke-width": faint ? 0.8 : 1.2,
        "stroke-opacity": faint ? 0.25 : 1, "marker-end": "url(#arrow)", "data-from": e.from.id, "data-to": e.to.id });
      lines.appendChild(p);
    });
    endSection(main, sec, root);
  }

  // A picture's section: the picture in a scrolling box, the section on the page.
  function endSection(main, sec, root) {
    var wrap = el("div", { "class": "scroll" });
    wrap.appendChild(root);
    sec.appendChild(wrap);
    main.appendChild(sec);
  }

  // ---- the timeline ------------------------------------------------------
  function timeline(r, main) {
    var ran = r.steps.filter(function (s) { return s.started !== null && s.agent !== null; });
    var sec = el("section", { id: "timeline" });
    sec.appendChild(el("h2", {}, "The agents' timeline"));
    if (!ran.length) { sec.appendChild(el("p", {}, "No step ran.")); main.appendChild(sec); return; }
    var agents = [];
    ran.forEach(function (s) { if (agents.indexOf(s.agent) < 0) agents.push(s.agent); });
    agents.sort();
    var end = r.seconds;
    ran.forEach(function (s) { end = Math.max(end, s.started + (s.seconds || 0)); });
    if (!(end > 0)) end = 1;
    var LEFT = 90, W = 900, LANE = 30, TOP = 24;
    var scale = W / end;
    var height = TOP + agents.length * LANE + 10;
    var root = svg("svg", { width: LEFT + W + 20, height: height, "class": "timeline" });
    var ticks = 8;
    for (var i = 0; i <= ticks; i++) {
      var t = end * i / ticks, x = LEFT + t * scale;
      root.appendChild(svg("line", { x1: x, y1: TOP - 4, x2: x, y2: height - 6, stroke: "#e1e5ea" }));
      root.appendChild(svg("text", { x: x, y: TOP - 8, "text-anchor": "middle", "class": "tick" }, t.toFixed(end < 0.5 ? 3 : end < 2 ? 2 : 1) + " s"));
    }
    agents.forEach(function (a, k) {
      root.appendChild(svg("text", { x: 4, y: TOP + k * LANE + LANE / 2 + 4, "class": "agent" }, a));
    });
    ran.forEach(function (s) {
      var k = agents.indexOf(s.agent);
      var x = LEFT + s.started * scale, w = Math.max(2, (s.seconds || 0) * scale);
      var g = svg("g", { "class": "bar outcome-" + s.outcome + (s.violates.length ? " violation" : ""), "data-step": s.id });
      g.appendChild(svg("title", {}, stepName(s) + ": " + s.outcome + ", " + s.agent + ", from " + secs(s.started) + " for " + secs(s.seconds)));
      var fill = colour(s.outcome);
      g.appendChild(svg("rect", { x: x, y: TOP + k * LANE + 3, width: w, height: LANE - 6, rx: 3, fill: fill,
        stroke: s.violates.length ? VIOLATION : "#ffffff", "stroke-width": s.violates.length ? 2.5 : 1 }));
      if (w > 40)
        g.appendChild(svg("text", { x: x + 4, y: TOP + k * LANE + LANE / 2 + 4, fill: ink(fill), "class": "barlabel" },
          cut(stepName(s), Math.floor(w / 7))));
      root.appendChild(g);
    });
    endSection(main, sec, root);
  }

  // ---- the steps as a table ---------------------------------------------
  function table(r, main) {
    var sec = el("section", { id: "steps" });
    sec.appendChild(el("h2", {}, "The steps"));
    var t = el("table");
    var head = el("tr");
    ["step", "outcome", "agent", "started", "seconds", "built"].forEach(function (c) { head.appendChild(el("th", {}, c)); });
    t.appendChild(head);
    r.steps.forEach(function (s) {
      var tr = el("tr", { "class": s.violates.length ? "violation" : "" });
      tr.appendChild(el("td", {}, (s.group !== null ? "\u2003" : "") +
        (s.type === "command" || stepName(s) === s.type ? "" : s.type + ": ") + stepName(s)));
      var o = el("td", {}, s.outcome);
      o.style.borderLeft = "6px solid " + colour(s.outcome);
      tr.appendChild(o);
      tr.appendChild(el("td", {}, s.agent || "-"));
      tr.appendChild(el("td", {}, secs(s.started)));
      tr.appendChild(el("td", {}, secs(s.seconds)));
      tr.appendChild(el("td", {}, s.built.join(" ")));
      t.appendChild(tr);
    });
    sec.appendChild(t);
    main.appendChild(sec);
  }

  function legend(main) {
    var p = el("p", { "class": "legend" });
    Object.keys(OUTCOME_COLOUR).forEach(function (o) {
      var s = el("span", {}, o);
      s.style.background = OUTCOME_COLOUR[o];
      s.style.color = ink(OUTCOME_COLOUR[o]);
      p.appendChild(s);
    });
    var v = el("span", {}, "violation");
    v.style.background = VIOLATION; v.style.color = "#ffffff";
    p.appendChild(v);
    main.appendChild(p);
  }

  try {
    var r = JSON.parse(document.getElementById("lazykite-report").textContent);
    var main = document.getElementById("lazykite-main");
    header(r, main);
    invariants(r, main);
    legend(main);
    graph(r, main);
    timeline(r, main);
    table(r, main);
    document.documentElement.setAttribute("data-rendered", "ok");
  } catch (e) {
    var box = document.getElementById("lazykite-error");
    if (box) box.textContent = "The report could not be drawn: " + e;
    document.documentElement.setAttribute("data-rendered", "error");
  }
})();
