/**
 * `npm start -- --report FILE` writes one self-contained HTML report that renders: opened in headless Chromium (the
 * Debian package) from a file, with no network, it raises no script error, every chart's canvas carries ink, and
 * the screenshot's plot areas are not blank (coloured line pixels counted with pngjs). Without Chromium a visible
 * skip; in CI (which installs it) a failure.
 */
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { commandPath, toolMissing } from "../helpers/tool-gate";

const CHROMIUM = commandPath("chromium", "chromium-browser");
const FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=5000"];

interface RenderCheck {
  charts: { title: string; inked: number; width: number; height: number }[];
  errors: string[];
}

function runStart(args: string[]): string {
  return execFileSync(process.execPath, ["--import=tsx", "scripts/start.ts", ...args], { encoding: "utf8", timeout: 120_000 });
}

/** Open `file` in headless Chromium: what the page reported after drawing, its console errors, a screenshot. */
function open(file: string, dir: string): { check: RenderCheck; consoleErrors: string[]; png: PNG } {
  const dom = spawnSync(CHROMIUM as string, [...FLAGS, "--enable-logging=stderr", "--v=0", "--window-size=1300,2200", "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000 });
  const match = /<pre id="render-check"[^>]*>([^<]*)<\/pre>/.exec(dom.stdout);
  if (!match) throw new Error(`no render check in the DOM: ${dom.stdout.slice(0, 300)} ${dom.stderr.slice(-500)}`);
  const check = JSON.parse(match[1].replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(/&amp;/g, "&")) as RenderCheck;
  const consoleErrors = dom.stderr.split("\n").filter((line) => /CONSOLE|Uncaught/.test(line) && /error|Uncaught/i.test(line));
  const shot = join(dir, "shot.png");
  spawnSync(CHROMIUM as string, [...FLAGS, "--window-size=1300,2200", `--screenshot=${shot}`, `file://${file}`], { timeout: 60_000 });
  return { check, consoleErrors, png: PNG.sync.read(readFileSync(shot)) };
}

/** Pixels of the screenshot that are clearly coloured (chart lines), not white, grey or black (text, grid). */
function colouredPixels(png: PNG): number {
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const r = png.data[i], g = png.data[i + 1], b = png.data[i + 2];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) count++;
  }
  return count;
}

function selfContained(t: import("ava").ExecutionContext, html: string): void {
  t.notRegex(html, /<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i, "nothing is loaded from a network");
  t.notRegex(html, /@import|url\(\s*["']?https?:/i);
}

if (CHROMIUM === null) {
  toolMissing(test, "chromium", "apt-get install -y chromium", "the HTML report renders in headless Chromium");
} else {
  test.serial("a scenario's report renders in headless Chromium: goals, charts with ink, no script error", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "report-"));
    const file = join(dir, "load-drop.html");
    const out = runStart(["--scenario", "sim/scenarios/load-drop-80.json", "--speed", "max", "--json", "--report", file]);
    t.regex(out, /report: .*load-drop\.html/);
    const html = readFileSync(file, "utf8");
    selfContained(t, html);
    t.regex(html, /PASS: \d+ of \d+ goals met/, "the header says whether the goals were met");
    t.regex(html, /no export above 0 W for more than 2 control periods/);
    const { check, consoleErrors, png } = open(file, dir);
    t.deepEqual(check.errors, []);
    t.deepEqual(consoleErrors, []);
    const titles = check.charts.map((c) => c.title);
    t.true(titles.some((title) => title.startsWith("Grid power")), titles.join(" | "));
    t.true(titles.some((title) => title.startsWith("PV available")));
    t.true(titles.some((title) => title.startsWith("State of charge")));
    for (const chart of check.charts) t.true(chart.inked > 2000, `${chart.title}: ${chart.inked} inked pixels`);
    t.true(colouredPixels(png) > 5000, `${colouredPixels(png)} coloured pixels in the screenshot`);
  });

  test.serial("a plain run's report (--duration) renders too, with its events", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "report-"));
    const file = join(dir, "run.html");
    runStart(["--duration", "120", "--speed", "max", "--quiet", "--report", file]);
    const html = readFileSync(file, "utf8");
    selfContained(t, html);
    t.regex(html, /A plain run: no goals to check/);
    const { check, consoleErrors, png } = open(file, dir);
    t.deepEqual(check.errors, []);
    t.deepEqual(consoleErrors, []);
    t.true(check.charts.length >= 3);
    for (const chart of check.charts) t.true(chart.inked > 1000, `${chart.title}: ${chart.inked} inked pixels`);
    t.true(colouredPixels(png) > 3000);
  });

  test.serial("a failing scenario's report says FAIL and names the goal", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "report-"));
    const scenario = JSON.parse(readFileSync("sim/scenarios/load-drop-80.json", "utf8"));
    scenario.goals = [{ metric: "maxExportW", max: 1 }];
    const path = join(dir, "strict.json");
    writeFileSync(path, JSON.stringify(scenario));
    const file = join(dir, "strict.html");
    runStart(["--scenario", path, "--speed", "max", "--json", "--report", file]);
    const html = readFileSync(file, "utf8");
    t.regex(html, /FAIL: \d+ of \d+ goals met/);
    t.regex(html, /<tr class="fail"><td>maxExportW &lt;= 1<\/td><td>FAIL<\/td>/);
  });
}
