/**
 * The report of a simulated run as one self-contained HTML file: it opens without a network, since uPlot's script
 * and stylesheet and the data are inlined. uPlot (npm `uplot`) draws the charts: about 50 KB, made for long time
 * series (it draws hundreds of thousands of points on a canvas without lag), MIT-licensed and dependency-free, which
 * is what inlining needs; Chart.js would be four times the size for features a time series does not use.
 *
 * After drawing, the page writes what it drew into `<pre id="render-check">` (per chart, how many canvas pixels
 * carry ink; every script error): the report test reads it from headless Chromium.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { GoalResult } from "./goals";
import type { ChartSpec, RunRecorder } from "./recorder";

export interface ReportInput {
  title: string;
  subtitle: string;
  /** Null for a plain run (no goals): the header then says so. */
  goals: GoalResult[] | null;
  recorder: RunRecorder;
  charts: ChartSpec[];
  /** Key figures shown under the header. */
  figures: Record<string, number | string>;
}

const require = createRequire(import.meta.url);

function asset(name: string): string {
  return readFileSync(require.resolve(`uplot/dist/${name}`), "utf8");
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

export function renderReport(input: ReportInput): string {
  const r = input.recorder;
  const data = {
    t: r.t,
    series: Object.fromEntries([...r.series].map(([name, values]) => [name, values.map((v) => (v === v ? Math.round(v * 1000) / 1000 : null))])),
    markers: r.markers,
    // A series with no value in the whole run (no demand control, no charger) is left out, and so is a chart left empty.
    charts: input.charts.map((c) => ({ ...c, series: c.series.filter((name) => (r.series.get(name) ?? []).some((v) => v === v)) })).filter((c) => c.series.length > 0),
  };
  const verdict =
    input.goals === null
      ? `<p class="verdict none">A plain run: no goals to check.</p>`
      : `<p class="verdict ${input.goals.every((g) => g.pass) ? "pass" : "fail"}">${input.goals.every((g) => g.pass) ? "PASS" : "FAIL"}: ${input.goals.filter((g) => g.pass).length} of ${input.goals.length} goals met</p>
<table class="goals"><tr><th>goal</th><th>result</th><th>measured</th></tr>${input.goals
          .map((g) => `<tr class="${g.pass ? "pass" : "fail"}"><td>${escapeHtml(g.goal)}</td><td>${g.pass ? "pass" : "FAIL"}</td><td>${escapeHtml(g.measured)}</td></tr>`)
          .join("")}</table>`;
  const figures = Object.entries(input.figures)
    .map(([k, v]) => `<span class="figure"><b>${escapeHtml(k)}</b> ${escapeHtml(String(v))}</span>`)
    .join(" ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>${asset("uPlot.min.css")}</style>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } .sub { color: #555; margin: 0 0 12px; }
.verdict { font-weight: 600; font-size: 16px; } .verdict.pass { color: #16794a; } .verdict.fail { color: #b3261e; } .verdict.none { color: #555; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
tr.fail td { background: #fdecea; } tr.pass td:nth-child(2) { color: #16794a; }
.figure { display: inline-block; margin: 0 14px 6px 0; } .chart { margin: 18px 0; } .chart h2 { font-size: 15px; margin: 0 0 4px; }
#markers td:first-child { text-align: right; font-variant-numeric: tabular-nums; }
</style></head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p class="sub">${escapeHtml(input.subtitle)}</p>
${verdict}
<p>${figures}</p>
<div id="charts"></div>
<h2>Events</h2>
<table id="markers"><tr><th>time (s)</th><th>kind</th><th>event</th></tr></table>
<pre id="render-check" hidden></pre>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${asset("uPlot.iife.min.js")}</script>
<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var check = document.getElementById("render-check");
  function done(charts) { check.textContent = JSON.stringify({ charts: charts, errors: errors }); }
  try {
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"];
    var markerColor = { fault: "#b3261e", alarm: "#ff7f0e", safe: "#6a1b9a", strategy: "#16794a", task: "#00838f", mqtt: "#555", schedule: "#1565c0" };
    var table = document.getElementById("markers");
    data.markers.forEach(function (m) {
      var row = table.insertRow(); row.insertCell().textContent = m.t.toFixed(2); row.insertCell().textContent = m.kind; row.insertCell().textContent = m.text;
    });
    var drawn = [];
    data.charts.forEach(function (chart) {
      var box = document.createElement("div"); box.className = "chart";
      var h = document.createElement("h2"); h.textContent = chart.title + " (" + chart.unit + ")"; box.appendChild(h);
      document.getElementById("charts").appendChild(box);
      var columns = [data.t].concat(chart.series.map(function (name) { return data.series[name]; }));
      var series = [{ label: "t (s)" }].concat(chart.series.map(function (name, i) {
        var dashed = /threshold|limit|allowed|command/.test(name);
        return { label: name, stroke: palette[i % palette.length], width: 1.5, dash: dashed ? [6, 4] : undefined, spanGaps: false };
      }));
      var plot = new uPlot({
        width: Math.max(600, Math.min(1400, window.innerWidth - 60)), height: 260, series: series,
        scales: { x: { time: false } }, axes: [{ label: "simulated time (s)" }, { label: chart.unit, size: 70 }],
        hooks: { draw: [function (u) {
          var ctx = u.ctx; ctx.save(); ctx.lineWidth = 1;
          data.markers.forEach(function (m) {
            var x = u.valToPos(m.t, "x", true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.strokeStyle = markerColor[m.kind] || "#999"; ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          });
          ctx.restore();
        }] },
      }, columns, box);
      drawn.push({ title: chart.title, canvas: plot.ctx.canvas });
    });
    // Wait a frame so every chart has drawn, then count the pixels with ink inside each plot area.
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      done(drawn.map(function (d) {
        var c = d.canvas, px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, inked = 0;
        for (var i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
        return { title: d.title, inked: inked, width: c.width, height: c.height };
      }));
    }); });
  } catch (e) { errors.push(String(e && e.stack || e)); done([]); }
})();
</script>
</body></html>
`;
}
