// The Usage tab's charts, loaded only when the tab has something to draw (UsagePanel imports this file with a
// dynamic import), so the dashboard's first load does not carry the chart library.
//
// uPlot (MIT, https://github.com/leeoniya/uPlot), chosen because it is small, fast and maintained: about 22 kB
// of JS and under 1 kB of CSS gzipped, several times less than Chart.js, ECharts or Recharts (with its D3
// modules), and it has what these charts need (bars, lines, two axes, gaps, a live legend). It fits the dashboard's CSP: no eval or new Function, no innerHTML, and it
// injects no <style> element: its stylesheet is a plain file, imported below so that Vite emits it as a CSS
// asset loaded with this chunk (style-src 'self'); the few styles it sets at run time go through the CSSOM
// (element.style), which CSP does not govern. It draws on <canvas>, and the same figures are in the table under
// the charts for screen readers.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatCompact, formatMs, formatUSD } from "../../../lib/format";
import type { DailySeries } from "../../../lib/usage";

const DAY = 86_400;

const dayLabel = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });

/** The page's colours (light or dark), read from its CSS custom properties. */
function palette(el: Element) {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    accent: v("--accent", "#4f46e5"),
    second: v("--chart-2", "#0d9488"),
    danger: v("--danger", "#c52a3a"),
    warning: v("--warning", "#8a5a00"),
    muted: v("--muted", "#5c6478"),
    grid: v("--border", "#dde1ec"),
    font: `12px ${v("--font", "system-ui, sans-serif")}`,
  };
}

type Palette = ReturnType<typeof palette>;

function xAxis(p: Palette): uPlot.Axis {
  return {
    stroke: p.muted,
    font: p.font,
    grid: { show: false },
    ticks: { stroke: p.grid },
    space: 48,
    incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY],
    values: (_, splits) => splits.map((s) => dayLabel.format(new Date(s * 1000))),
  };
}

/** An axis as wide as its longest label (about 7 px a character at 12 px), so "$0.000025" is not cut. */
const fitLabels: uPlot.Axis.Size = (_, values) => 14 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length));

function yAxis(p: Palette, format: (n: number) => string, side: 1 | 3 = 3, scale = "y"): uPlot.Axis {
  return {
    scale,
    side,
    stroke: p.muted,
    font: p.font,
    size: fitLabels,
    grid: { show: side === 3, stroke: p.grid, width: 1 },
    ticks: { show: false },
    values: (_, splits) => splits.map(format),
  };
}

/** Whole counts: never ticks between 0 and 1 request. */
const wholeSplits: uPlot.Axis.Splits = (_, __, min, max) => {
  const step = Math.max(1, Math.ceil((max - min) / 4));
  const out: number[] = [];
  for (let v = Math.max(0, Math.ceil(min)); v <= max; v += step) out.push(v);
  return out;
};

const bars = (size: number) => uPlot.paths.bars!({ size: [size, 48], align: 0 });

type Build = (p: Palette, s: DailySeries) => Omit<uPlot.Options, "width" | "height">;

const DAYS_SCALE = (s: DailySeries): uPlot.Scale => ({
  time: false,
  range: () => [(s.x[0] ?? 0) - DAY / 2, (s.x[s.x.length - 1] ?? 0) + DAY / 2],
});

const costAndTokens: Build = (p, s) => ({
  // From 0 to a little above the day that cost most, however small: a chat costs a fraction of a cent.
  scales: { x: DAYS_SCALE(s), y: { range: (_, __, max) => [0, max > 0 ? max * 1.1 : 0.01] }, tokens: { range: (_, __, max) => [0, Math.max(max * 1.1, 10)] } },
  series: [
    { label: "Day" },
    { label: "Cost", scale: "y", stroke: p.accent, fill: p.accent, width: 0, paths: bars(0.6), points: { show: false } },
    { label: "Tokens", scale: "tokens", stroke: p.second, width: 2, points: { show: true, size: 5, fill: p.second } },
  ],
  axes: [xAxis(p), yAxis(p, formatUSD), yAxis(p, formatCompact, 1, "tokens")],
});

const requestsAndErrors: Build = (p, s) => ({
  scales: { x: DAYS_SCALE(s), y: { range: (_, __, max) => [0, Math.max(max, 1)] } },
  series: [
    { label: "Day" },
    { label: "Requests", stroke: p.accent, fill: p.accent, width: 0, paths: bars(0.6), points: { show: false } },
    // Drawn over the requests' bar of the same day: the red part is the share that failed.
    { label: "Errors", stroke: p.danger, fill: p.danger, width: 0, paths: bars(0.6), points: { show: false } },
  ],
  axes: [xAxis(p), { ...yAxis(p, formatCompact), splits: wholeSplits }],
});

const latency: Build = (p, s) => ({
  scales: { x: DAYS_SCALE(s), y: { range: (_, __, max) => [0, Math.max((max ?? 0) * 1.1, 100)] } },
  series: [
    { label: "Day" },
    { label: "p50", stroke: p.accent, width: 2, points: { show: true, size: 5, fill: p.accent } },
    { label: "p95", stroke: p.warning, width: 2, dash: [6, 4], points: { show: true, size: 5, fill: p.warning } },
  ],
  axes: [xAxis(p), yAxis(p, formatMs)],
});

interface ChartProps {
  title: string;
  build: Build;
  /** The chart's columns: the days, then one array per series of `build`. */
  pick: (s: DailySeries) => uPlot.AlignedData;
  series: DailySeries;
}

const HEIGHT = 200;

/** One uPlot chart, as wide as its box: made again when the figures change, resized with the box. */
function Chart({ title, build, pick, series }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(240, Math.floor(el.clientWidth));
    // The legend names the series; exact values are in the table below the charts (a live legend would read
    // "—" until hovered, and hovering is no use on a phone).
    const options = { ...build(palette(el), series), width: width(), height: HEIGHT, legend: { live: false }, cursor: { drag: { x: false, y: false } } };
    const plot = new uPlot(options, pick(series), el);
    const observer = new ResizeObserver(() => {
      if (width() !== plot.width) plot.setSize({ width: width(), height: HEIGHT });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [build, pick, series]);

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div className="chart-plot" ref={box} aria-hidden="true" />
    </figure>
  );
}

const pickCost = (s: DailySeries): uPlot.AlignedData => [s.x, s.costUsd, s.tokens];
const pickRequests = (s: DailySeries): uPlot.AlignedData => [s.x, s.requests, s.errors];
const pickLatency = (s: DailySeries): uPlot.AlignedData => [s.x, s.p50, s.p95];

/** Cost and tokens, requests and errors, and p50/p95 latency per day of the range. */
export default function UsageCharts({ series }: { series: DailySeries }) {
  return (
    <div className="charts">
      <Chart title="Cost and tokens per day" build={costAndTokens} pick={pickCost} series={series} />
      <Chart title="Requests and errors per day" build={requestsAndErrors} pick={pickRequests} series={series} />
      <Chart title="Latency per day (p50, p95)" build={latency} pick={pickLatency} series={series} />
    </div>
  );
}
