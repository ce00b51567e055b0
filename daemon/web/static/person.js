/* person.js — one person's card: level, title and belt (§2), points, points
 * in each window (§9), the §6 checklist with its gaps as progress bars
 * (§12), points over time (an SVG chart), level history with reasons and
 * appeals (§7, §11). Refreshed live by points.<id> and level.<id>. */
"use strict";

const id = decodeURIComponent(location.pathname.replace(/^\/people\//, ""));
const api = "/api/v1/employees/" + encodeURIComponent(id);
let pending = null;

function figure(k, v) {
  const d = Ladder.el("div", "figure");
  d.append(Ladder.el("div", "v", v), Ladder.el("div", "k", k));
  return d;
}

function renderEmployee(e, windows) {
  const l = e.level || {};
  const level = Ladder.num(l.level);
  document.getElementById("name").textContent = `${e.name || id}`;
  document.title = `Ladder · ${e.name || id}`;
  document.getElementById("belt").style.setProperty("background", Ladder.beltColour(l.belt));
  document.getElementById("belt").title = l.belt ? `${l.belt} belt` : "";
  const t = document.getElementById("title");
  t.replaceChildren(`${l.titleZh || ""} · Level ${level}`);
  t.append(Ladder.el("span", "en", `${l.titleEn || ""}${l.belt ? " · " + l.belt + " belt" : ""}`));
  document.getElementById("meta").textContent =
    `${e.employeeId} · team ${e.team || "—"} · centre ${e.centre || "—"}` +
    (e.mentorId ? ` · mentor ${e.mentorId}` : "") + (e.committeeMember ? " · review committee" : "") +
    (e.left ? " · left" : "");
  const st = [];
  if (e.retentionDeadlineMs) st.push(`retention year closes ${Ladder.time(e.retentionDeadlineMs)} (${e.retentionStatus || ""})`);
  if (e.appealStatus && e.appealStatus !== "none") st.push(`appeal: ${e.appealStatus}`);
  if ((e.medals || []).length) st.push(`medals: ${e.medals.join(", ")}`);
  document.getElementById("status").textContent = st.join(" · ");
  const f = document.getElementById("figures");
  f.replaceChildren(
    figure("points 总积分", Ladder.num(e.pointsTotal).toLocaleString("en-US")),
    figure("since level 本级积分", Ladder.num(e.pointsSinceLevel).toLocaleString("en-US")),
    figure("in retention year 保级年度", Ladder.num(e.pointsInYear).toLocaleString("en-US")));
  for (const [w, label] of windows) {
    f.append(figure(label, w ? `${Ladder.num(w.points).toLocaleString("en-US")}  #${Ladder.num(w.rank)}` : "0"));
  }
}

function renderReadiness(r) {
  const ul = document.getElementById("readiness");
  ul.replaceChildren();
  document.getElementById("target").textContent = r.targetLevel
    ? `→ level ${Ladder.num(r.targetLevel)}${r.examAllowed ? " · exam may be drawn" : ""}` : "· top level";
  for (const it of r.items || []) {
    const li = Ladder.el("li");
    li.dataset.name = it.name || "";
    li.append(Ladder.el("span", it.met ? "ok" : "no", it.met ? "✓" : "✗"));
    li.append(Ladder.el("span", "sec", it.section || ""));
    li.append(Ladder.el("span", "item", it.name || ""));
    const have = Ladder.num(it.have), need = Ladder.num(it.need);
    const cell = Ladder.el("div");
    if (need > 0) {
      const bar = Ladder.el("div", "progress" + (it.met ? " done" : ""));
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuenow", String(have));
      bar.setAttribute("aria-valuemax", String(need));
      const fill = Ladder.el("div");
      fill.style.setProperty("width", `${Math.max(0, Math.min(100, (100 * have) / need))}%`);
      bar.append(fill);
      cell.append(bar, Ladder.el("span", "progress-label", `${have.toLocaleString("en-US")} / ${need.toLocaleString("en-US")}`));
    }
    li.append(cell);
    li.append(Ladder.el("span", "gap", it.met ? "met" : it.gap || "not met"));
    ul.append(li);
  }
}

function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderChart(series) {
  const box = document.getElementById("chart");
  const pts = (series.points || []).map(p => [Ladder.num(p.atMs), Ladder.num(p.total)]);
  box.replaceChildren();
  if (!pts.length) { box.append(Ladder.el("p", "muted", "No points yet.")); return; }
  const W = 1000, H = 260, L = 64, R = 16, T = 12, B = 30;
  const x0 = pts[0][0], x1 = Math.max(pts[pts.length - 1][0], x0 + 1);
  const ymax = Math.max(1, ...pts.map(p => p[1])), ymin = Math.min(0, ...pts.map(p => p[1]));
  const X = t => L + ((t - x0) / (x1 - x0)) * (W - L - R);
  const Y = v => T + (1 - (v - ymin) / (ymax - ymin)) * (H - T - B);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img",
                         "aria-label": "points over time" });
  for (let i = 0; i <= 4; i++) {
    const v = ymin + ((ymax - ymin) * i) / 4, y = Y(v);
    s.append(svg("line", { x1: L, x2: W - R, y1: y, y2: y, class: "axis" }));
    s.append(svg("text", { x: L - 8, y: y + 4, "text-anchor": "end" }, Math.round(v).toLocaleString("en-US")));
  }
  for (let i = 0; i <= 4; i++) {
    const t = x0 + ((x1 - x0) * i) / 4;
    s.append(svg("text", { x: X(t), y: H - 8, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" },
                 Ladder.time(t)));
  }
  /* a step line: the total holds until the next award */
  let d = `M${X(pts[0][0])},${Y(0)} L${X(pts[0][0])},${Y(pts[0][1])}`;
  for (let i = 1; i < pts.length; i++) d += ` L${X(pts[i][0])},${Y(pts[i - 1][1])} L${X(pts[i][0])},${Y(pts[i][1])}`;
  s.append(svg("path", { d: d + ` L${X(x1)},${Y(0)} Z`, class: "area" }));
  s.append(svg("path", { d, class: "line" }));
  box.append(s);
}

function renderHistory(ex) {
  const ol = document.getElementById("history");
  ol.replaceChildren();
  const changes = ex.changes || [];
  if (!changes.length) { ol.append(Ladder.el("li", "muted", "No level changes yet.")); return; }
  for (const c of [...changes].reverse()) {
    const li = Ladder.el("li");
    li.append(Ladder.el("span", "when", Ladder.time(c.atMs, true)));
    const cause = c.cause || "";
    li.append(Ladder.el("span", "cause " + cause.split(" ")[0], cause));
    li.append(` level ${Ladder.num(c.fromLevel)} → ${Ladder.num(c.toLevel)}`);
    li.append(Ladder.el("span", "muted", `  · seq ${c.seq}` +
      ((c.evidenceSeqs || []).length ? ` · evidence ${c.evidenceSeqs.join(", ")}` : "") +
      (c.rulesVersion ? ` · rules v${c.rulesVersion}` : "")));
    if (c.explanation) li.append(Ladder.el("div", "why", c.explanation));
    ol.append(li);
  }
}

async function windowRow(w) {
  try {
    const b = await Ladder.get(`/api/v1/boards?window=${w}&top=0&around=${encodeURIComponent(id)}&radius=0`);
    if (w === "week") Ladder.learnOffset(b.windowStartMs);
    return (b.rows || []).find(r => r.employeeId === id) || null;
  } catch (e) { return null; }
}

async function refresh() {
  const err = document.getElementById("error");
  try {
    const [e, r, ex, series, ...wins] = await Promise.all([
      Ladder.get(api), Ladder.get(api + "/readiness"), Ladder.get(api + "/explain"),
      Ladder.get(api + "/points"), windowRow("week"), windowRow("month"), windowRow("quarter"),
      windowRow("year")]);
    renderEmployee(e, [[wins[0], "this week 本周"], [wins[1], "this month 本月"],
                       [wins[2], "this quarter 本季"], [wins[3], "this year 本年"]]);
    renderReadiness(r);
    renderChart(series);
    renderHistory(ex);
    err.hidden = true;
    Ladder.stamp();
  } catch (e) {
    err.textContent = String(e.message || e);
    err.hidden = false;
  }
}

function schedule() {
  if (pending) { pending.again = true; return; }
  pending = { again: false };
  refresh().finally(() => {
    const again = pending.again;
    pending = null;
    if (again) schedule();
  });
}

Ladder.live([`points.${id}`, `level.${id}`], schedule, schedule);
schedule();
