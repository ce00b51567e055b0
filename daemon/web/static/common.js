/* common.js — helpers shared by the wallboard and the person card: the read
 * API, belts (§2), times in the rules' UTC offset (§9), the live stream. */
"use strict";

const Ladder = {
  /* the rules' offset in ms; learnt from a week board's window start (a
   * Monday 00:00 at the offset), +08:00 until then (the rules' default) */
  offsetMs: 8 * 3600e3,

  async get(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = body.error || {};
      throw new Error(`${r.status} ${e.code || ""}: ${e.message || r.statusText}`);
    }
    return body;
  },

  num(v) { return v === undefined || v === null ? 0 : Number(v); },

  learnOffset(windowStartMs) {
    const day = 86400e3, ws = Ladder.num(windowStartMs);
    if (!ws) return;
    let off = (day - (ws % day)) % day;
    if (off > 14 * 3600e3) off -= day;
    Ladder.offsetMs = off;
  },

  /* "2026-03-02 14:05" at the rules' offset */
  time(ms, withClock) {
    const d = new Date(Ladder.num(ms) + Ladder.offsetMs);
    const p = n => String(n).padStart(2, "0");
    const date = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
    return withClock ? `${date} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}` : date;
  },

  belts: { white: "#f5f5f5", yellow: "#f7d417", orange: "#f28c28", green: "#2ea043",
           blue: "#2f81f7", purple: "#8957e5", brown: "#8b5a2b", red: "#e5383b", black: "#111111" },

  beltColour(belt) {
    if (!belt) return "transparent";
    const k = String(belt).toLowerCase();
    if (Ladder.belts[k]) return Ladder.belts[k];
    return CSS.supports("color", k) ? k : "#6e7681";
  },

  /* levels: { n: LevelInfo } from /api/v1/levels */
  levels: {},
  async loadLevels() {
    try {
      const j = await Ladder.get("/api/v1/levels");
      for (const l of j.levels || []) Ladder.levels[Ladder.num(l.level)] = l;
    } catch (e) { /* titles fall back to "level N" */ }
  },

  el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  },

  /* SSE on /events for the topic prefixes; onUpdate(update) per message.
   * EventSource resumes with Last-Event-ID by itself after a drop. */
  live(topics, onUpdate, onReset) {
    const dot = document.getElementById("live");
    const es = new EventSource("/events?topics=" + encodeURIComponent(topics.join(",")));
    es.onopen = () => dot && dot.classList.add("on");
    es.onerror = () => dot && dot.classList.remove("on");
    es.onmessage = m => { try { onUpdate(JSON.parse(m.data)); } catch (e) { console.error(e); } };
    es.addEventListener("reset", () => onReset && onReset());
    return es;
  },

  stamp() {
    const u = document.getElementById("updated");
    if (u) u.textContent = "updated " + new Date().toLocaleTimeString();
  },
};
