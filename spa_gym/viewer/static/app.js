// spa-gym view: the page's script. Data is always put in the page with textContent, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const FILTERS = ["env_id", "task_type", "split", "reward_mode"];
const COLORS = { reward: "#d9822b", progress: "#2b6cd9", true_progress: "#1e9e5a", diagonal: "#9aa3b2" };
const LABELS = { reward: "reward", progress: "estimated progress", true_progress: "true progress" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

const fmt = (x, d = 3) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));

function chart(target, title, x, series, opts = {}) {
  // series: [{key, label, values, color, dash, points}]
  const width = Math.max(320, Math.min(target.clientWidth || 640, 900));
  const u = new uPlot({
    title, width, height: opts.height || 240,
    scales: { x: { time: false } },
    // whole steps, iterations and epochs on the x axis; fractions only where x is continuous
    axes: [{ label: opts.xlabel || "step", incrs: opts.continuous ? undefined : [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, {}],
    series: [{ label: opts.xlabel || "step" }].concat(series.map((s) => ({
      label: s.label, stroke: s.color, width: 2, dash: s.dash, spanGaps: true,
      points: { show: s.points !== false, size: 5 },
    }))),
  }, [x].concat(series.map((s) => s.values)), target);
  return u;
}

// ---------------------------------------------------------------- episode list
function idCell(r, id, oneFile) {
  // the line number, after the file name when the run has several files; the full path in the tooltip
  if (oneFile) return el("td", { class: "num", title: id, text: String(r.line) });
  return el("td", { title: id }, r.file.split("/").pop(), el("wbr"), `:${r.line}`);
}

let selected = null;

async function loadRun() {
  const run = await getJSON("/api/run");
  $("#run-name").textContent = run.name;
  $("#run-counts").textContent = `${run.episodes} episodes in ${run.files.length} files` +
    (run.errors ? `, ${run.errors} unreadable lines` : "");
  for (const key of FILTERS) {
    const select = $(`#filters select[name=${key}]`);
    select.replaceChildren(el("option", { value: "", text: "any" }));
    for (const v of run.filters[key]) select.append(el("option", { value: v, text: v }));
  }
}

async function loadList() {
  const params = new URLSearchParams();
  for (const s of document.querySelectorAll("#filters select")) if (s.value) params.set(s.name, s.value);
  params.set("limit", "1000");
  const data = await getJSON(`/api/episodes?${params}`);
  const body = $("#episode-list tbody");
  body.replaceChildren();
  const oneFile = new Set(data.rows.map((r) => r.file)).size <= 1;
  for (const r of data.rows) {
    const id = `${r.file}:${r.line}`;
    let tr;
    if (r.error) {
      tr = el("tr", { class: "error-row" }, idCell(r, id, oneFile), el("td", { colspan: "7", text: `unreadable: ${r.error}` }));
    } else {
      tr = el("tr", {},
        idCell(r, id, oneFile), el("td", { class: "clip", text: r.env_id.replace(/^SPA-|-v\d+$/g, ""), title: r.env_id }),
        el("td", { text: r.task, title: `${r.task_type} / ${r.split} / task ${r.task_id}` }),
        el("td", { class: r.won ? "won" : "lost", text: r.won ? "won" : "lost" }),
        el("td", { class: "num", text: fmt(r.final_reward, 2) }), el("td", { class: "num", text: String(r.steps) }),
        el("td", { class: "num", text: r.steps ? `${Math.round((100 * r.valid) / r.steps)}%` : "-" }),
        el("td", { class: "clip", text: r.reward_mode, title: r.reward_mode }));
      tr.addEventListener("click", () => { location.hash = `#episode=${encodeURIComponent(r.file)}&line=${r.line}`; });
    }
    tr.dataset.id = id;
    if (id === selected) tr.classList.add("selected");
    body.append(tr);
  }
  $("#list-count").textContent = `${data.total} rows` + (data.total > data.rows.length ? ` (first ${data.rows.length} shown)` : "");
}

// ---------------------------------------------------------------- one episode
async function showEpisode(file, line) {
  selected = `${file}:${line}`;
  for (const tr of document.querySelectorAll("#episode-list tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.id === selected);
    if (tr.dataset.id === selected) tr.scrollIntoView({ block: "nearest" });
  }
  const data = await getJSON(`/api/episode?file=${encodeURIComponent(file)}&line=${line}`);
  $("#episode-hint").hidden = true;
  $("#episode").hidden = false;
  const plot = $("#episode-plot");
  plot.replaceChildren();
  const transcript = $("#transcript");
  transcript.replaceChildren();
  if (data.error) {
    $("#episode-title").textContent = selected;
    $("#episode-meta").replaceChildren(el("span", { class: "error", text: `unreadable line: ${data.error}` }));
    return;
  }
  const ep = data.record, s = data.series;
  $("#episode-title").textContent = ep.task;
  const meta = [ep.env_id, ep.task_type, ep.split && `${ep.split} split`, `task ${ep.task_id}`,
    ep.won ? "won" : "not won", `final reward ${fmt(ep.final_reward, 2)}`, `${ep.steps.length} steps`,
    ep.ended && `ended: ${ep.ended}`, `reward: ${data.row.reward_mode}`].filter(Boolean);
  $("#episode-meta").textContent = meta.join(" · ");
  const series = ["reward", "progress", "true_progress"].filter((k) => s[k]).map((k) => ({
    key: k, label: LABELS[k], values: s[k], color: COLORS[k], dash: k === "true_progress" ? [6, 4] : undefined,
  }));
  chart(plot, "per step", s.step, series);
  transcript.append(el("li", { class: "start" }, el("div", { class: "obs", text: ep.observation })));
  ep.steps.forEach((st, i) => {
    const nums = [`step ${i + 1}`, `reward ${fmt(st.dense_reward ?? st.reward)}`];
    if (st.spa) nums.push(`progress ${fmt(st.spa.progress)}`, `contribution ${fmt(st.spa.contribution)}`);
    if (st.true_progress !== undefined) nums.push(`true progress ${fmt(st.true_progress)} (expert ${st.expert_distance ?? "-"} steps away)`);
    const valid = st.action_valid !== false;
    transcript.append(el("li", { class: valid ? "valid" : "invalid" },
      el("div", {}, el("span", { class: "action", text: `> ${st.action}` }), el("span", { class: "badge", text: valid ? "valid" : "invalid" })),
      el("div", { class: "obs", text: st.observation }),
      el("div", { class: "nums", text: nums.join(" · ") })));
  });
}

// ---------------------------------------------------------------- run reports
async function showRun() {
  const rep = await getJSON("/api/reports");
  const out = $("#run-content");
  out.replaceChildren();
  const card = (title) => { const c = el("div", { class: "card" }, el("h2", { text: title })); out.append(c); return c; };
  for (const [file, h] of Object.entries(rep.ppo)) {
    const c = card(`PPO learning curves: ${file}`), target = el("div", { class: "plot" });
    c.append(target);
    const keys = ["success_rate", "env_return", "shaped_return", "grounding"].filter((k) => h[k]);
    const palette = ["#1e9e5a", "#2b6cd9", "#d9822b", "#8e44ad"];
    chart(target, "per iteration", h.iteration, keys.map((k, i) => ({ label: k, values: h[k], color: palette[i] })), { xlabel: "iteration" });
  }
  for (const [file, h] of Object.entries(rep.estimator)) {
    const c = card(`estimator training: ${file}`), target = el("div", { class: "plot" });
    c.append(target);
    const x = h.train_loss.map((_, i) => i + 1);
    const series = [{ label: "train loss", values: h.train_loss, color: "#2b6cd9" }];
    if (h.valid_loss.length === x.length) series.push({ label: "valid loss", values: h.valid_loss, color: "#d9822b" });
    chart(target, "loss per epoch", x, series, { xlabel: "epoch" });
  }
  const q = rep.quality;
  const qc = card("estimator quality: estimated vs true progress");
  if (q.bin_centers) {
    qc.append(el("p", { text: `${q.steps} recorded steps; Pearson correlation ${fmt(q.pearson)}` }));
    const target = el("div", { class: "plot" });
    qc.append(target);
    chart(target, "mean estimated progress per true-progress bin", q.bin_centers, [
      { label: "estimated", values: q.estimated, color: COLORS.progress },
      { label: "perfect", values: q.bin_centers, color: COLORS.diagonal, dash: [4, 4], points: false }], { xlabel: "true progress", continuous: true });
  } else {
    qc.append(el("p", { class: "hint", text: "No recorded steps carry both info['spa'] and true progress (record through SPAReward with an env that has an expert)." }));
  }
  for (const [file, e] of Object.entries(rep.eval)) {
    const c = card(`evaluation: ${file}`);
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...["policy", "success", "avg score", "grounding", "mean steps", "episodes"].map((t) => el("th", { text: t })))));
    const body = el("tbody");
    for (const [name, m] of Object.entries(e.results)) {
      body.append(el("tr", {}, el("td", { text: name }), el("td", { class: "num", text: fmt(m.success_rate, 3) }),
        el("td", { class: "num", text: fmt(m.average_score) }), el("td", { class: "num", text: fmt(m.grounding) }),
        el("td", { class: "num", text: fmt(m.mean_steps, 1) }), el("td", { class: "num", text: String(m.episodes ?? "-") })));
    }
    table.append(body);
    c.append(table);
  }
  for (const img of rep.images) {
    const c = card(img);
    c.append(el("img", { src: `/files/${img.split("/").map(encodeURIComponent).join("/")}`, alt: img }));
  }
}

// ---------------------------------------------------------------- routing
function tab(name) {
  $("#episodes-view").hidden = name !== "episodes";
  $("#run-view").hidden = name !== "run";
  $("#tab-episodes").classList.toggle("active", name === "episodes");
  $("#tab-run").classList.toggle("active", name === "run");
  if (name === "run") showRun().catch(report);
}

function route() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.has("episode")) { tab("episodes"); showEpisode(h.get("episode"), Number(h.get("line"))).catch(report); }
}

function report(err) {
  $("#episode-hint").hidden = false;
  $("#episode-hint").textContent = String(err);
  $("#episode-hint").className = "error";
}

$("#tab-episodes").addEventListener("click", () => tab("episodes"));
$("#tab-run").addEventListener("click", () => tab("run"));
$("#filters").addEventListener("change", () => loadList().catch(report));
window.addEventListener("hashchange", route);
loadRun().then(loadList).then(route).catch(report);
