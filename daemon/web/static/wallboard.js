/* wallboard.js — the live leaderboard (§9) for a wall screen. The board is
 * chosen by the query string (?window=week&scope=team&value=north-1&top=10,
 * &kiosk=1 hides the controls); board.<name> updates on /events trigger a
 * fetch of the board, and rows glide to their new places. */
"use strict";

const params = new URLSearchParams(location.search);
const state = {
  window: params.get("window") || "week",
  scope: params.get("scope") || "org",
  value: params.get("value") || "",
  top: Math.max(1, Math.min(100, Number(params.get("top")) || 10)),
};
const windowNames = { week: "本周 This week", month: "本月 This month", quarter: "本季 This quarter",
                      year: "本年 This year", all: "总榜 All time" };
const scopeNames = { org: "全公司 Organisation", centre: "中心 Centre", team: "团队 Team", level: "级别 Level" };
let es = null, pending = null, lastRows = new Map();

function boardName() {
  return `${state.window}/${state.scope}${state.scope === "org" ? "" : ":" + state.value}`;
}

function titleOf(level) {
  const l = Ladder.levels[level];
  return l ? { zh: l.titleZh || "", en: l.titleEn || "", belt: l.belt || "" }
           : { zh: "", en: `Level ${level}`, belt: "" };
}

function render(board) {
  const ol = document.getElementById("board");
  const rows = board.rows || [];
  /* FLIP: remember where each row was, move it, then animate from there */
  const before = new Map();
  for (const li of ol.children) before.set(li.dataset.id, li.getBoundingClientRect().top);
  const old = new Map([...ol.children].map(li => [li.dataset.id, li]));
  const frag = document.createDocumentFragment();
  const next = new Map();
  for (const r of rows) {
    const id = r.employeeId, level = Ladder.num(r.level), pts = Ladder.num(r.points);
    const t = titleOf(level);
    const li = old.get(id) || Ladder.el("li");
    li.dataset.id = id;
    li.dataset.points = String(pts);
    li.replaceChildren();
    li.append(Ladder.el("span", "rank", String(Ladder.num(r.rank))));
    const belt = Ladder.el("span", "belt");
    belt.style.setProperty("background", Ladder.beltColour(t.belt));
    belt.title = t.belt ? `${t.belt} belt` : "";
    li.append(belt);
    const name = Ladder.el("span", "name");
    const a = Ladder.el("a", null, r.name || id);
    a.href = "/people/" + encodeURIComponent(id);
    name.append(a);
    li.append(name);
    const title = Ladder.el("span", "title", t.zh);
    title.append(Ladder.el("span", "en", t.en));
    li.append(title);
    li.append(Ladder.el("span", "points", pts.toLocaleString("en-US")));
    const prev = lastRows.get(id);
    li.classList.toggle("moved", prev !== undefined && (prev.rank !== Ladder.num(r.rank) || prev.points !== pts));
    next.set(id, { rank: Ladder.num(r.rank), points: pts });
    frag.append(li);
  }
  ol.replaceChildren(frag);
  for (const li of ol.children) {
    const was = before.get(li.dataset.id);
    if (was === undefined) continue;
    const dy = was - li.getBoundingClientRect().top;
    if (!dy) continue;
    li.style.setProperty("transition", "none");
    li.style.setProperty("transform", `translateY(${dy}px)`);
    requestAnimationFrame(() => requestAnimationFrame(() => {
      li.style.removeProperty("transition");
      li.style.removeProperty("transform");
    }));
  }
  setTimeout(() => { for (const li of ol.children) li.classList.remove("moved"); }, 2500);
  lastRows = next;
  document.getElementById("empty").hidden = rows.length > 0;
  document.getElementById("size").textContent = `${Ladder.num(board.size)} on the board · top ${state.top} · ${board.name || boardName()}`;
  if (state.window === "all") {
    document.getElementById("window-start").textContent = "";
  } else {
    Ladder.learnOffset(board.windowStartMs);
    document.getElementById("window-start").textContent = "since " + Ladder.time(board.windowStartMs);
  }
  Ladder.stamp();
}

async function refresh() {
  const q = new URLSearchParams({ window: state.window, scope: state.scope, top: String(state.top) });
  if (state.scope !== "org") q.set("value", state.value);
  const err = document.getElementById("error");
  try {
    const board = await Ladder.get("/api/v1/boards?" + q);
    err.hidden = true;
    render(board);
  } catch (e) {
    err.textContent = String(e.message || e);
    err.hidden = false;
  }
}

/* at most one fetch in flight; updates during it cause one more */
function schedule() {
  if (pending) { pending.again = true; return; }
  pending = { again: false };
  refresh().finally(() => {
    const again = pending.again;
    pending = null;
    if (again) schedule();
  });
}

function connect() {
  if (es) es.close();
  es = Ladder.live(["board." + boardName(), "level."], u => {
    if (u.topic && u.topic.startsWith("level.") && u.level && u.level.level) {
      const l = u.level.level;
      Ladder.levels[Ladder.num(l.level)] = l;
      if (lastRows.has(u.level.employeeId)) schedule();
    } else if (u.topic === "board." + boardName()) {
      schedule();
    }
  }, schedule);
}

function title() {
  const scope = state.scope === "org" ? scopeNames.org : `${scopeNames[state.scope]} ${state.value}`;
  document.getElementById("board-title").textContent = `${windowNames[state.window]} · ${scope}`;
  document.title = `Ladder · ${windowNames[state.window]} · ${scope}`;
}

function apply() {
  const q = new URLSearchParams(params);
  for (const k of ["window", "scope", "value", "top"]) q.set(k, String(state[k]));
  if (state.scope === "org") q.delete("value");
  history.replaceState(null, "", "?" + q);
  document.getElementById("value-label").hidden = state.scope === "org";
  document.querySelector("main").style.setProperty("--rows", String(state.top));
  title();
  lastRows = new Map();
  connect();
  schedule();
}

async function main() {
  if (params.get("kiosk")) document.body.classList.add("kiosk");
  for (const k of ["window", "scope", "value", "top"]) {
    const e = document.getElementById(k);
    e.value = String(state[k]);
    e.addEventListener("change", () => {
      state[k] = k === "top" ? Math.max(1, Math.min(100, Number(e.value) || 10)) : e.value;
      apply();
    });
  }
  await Ladder.loadLevels();
  apply();
}

main();
