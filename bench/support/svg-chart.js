'use strict';
// Draws the results as a plain SVG: no charting library, just rectangles and
// text placed from the numbers. Two panels:
//  1. ours against each same-run baseline, as "how many times better", on a
//     log scale centred on 1 (bars to the right: ours is ahead);
//  2. the absolute goals, as the share of each budget used (100 % = the limit).

const WIDTH = 820;
const LABEL_W = 300;
const PLOT_X0 = LABEL_W + 10;
const PLOT_X1 = WIDTH - 90;
const ROW_H = 26;
const COLORS = { met: '#2e7d32', missed: '#c62828', none: '#607d8b' };

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function color(met) {
  return met === true ? COLORS.met : met === false ? COLORS.missed : COLORS.none;
}

function text(x, y, content, attrs = '') {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(content)}</text>`;
}

function line(x1, y1, x2, y2, attrs) {
  return `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;
}

function rect(x, y, w, h, fill) {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(w, 0.5).toFixed(1)}" height="${h}" fill="${fill}"/>`;
}

/** Panel 1: ratios on a log axis; returns [svg parts, height used]. */
function ratioPanel(entries, top) {
  // A ratio of 0, NaN or Infinity has no place on a log axis (and would never end the decade loops below).
  entries = entries.filter((e) => Number.isFinite(e.advantage) && e.advantage > 0);
  const parts = [text(10, top + 16, 'Ours against the baseline in the same run: × better (right of 1 = ours ahead; log scale)', 'font-weight="bold"')];
  const values = entries.flatMap((e) => [e.advantage, e.goal ?? 1]);
  let lo = 0.1;
  let hi = 10;
  while (Math.min(...values) < lo * 1.2) lo /= 10;
  while (Math.max(...values) > hi / 1.2) hi *= 10;
  const x = (v) => PLOT_X0 + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (PLOT_X1 - PLOT_X0);
  const plotTop = top + 28;
  const plotBottom = plotTop + entries.length * ROW_H;
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const v = decade * step;
      if (v > hi * 1.0001) break;
      parts.push(line(x(v), plotTop, x(v), plotBottom, 'stroke="#e0e0e0"'));
      parts.push(text(x(v), plotBottom + 14, `${+v.toPrecision(2)}×`, 'text-anchor="middle" font-size="11" fill="#555"'));
    }
  }
  parts.push(line(x(1), plotTop - 4, x(1), plotBottom, 'stroke="#333" stroke-width="1.5"'));
  entries.forEach((e, i) => {
    const y = plotTop + i * ROW_H;
    const from = x(Math.min(1, e.advantage));
    const to = x(Math.max(1, e.advantage));
    parts.push(text(LABEL_W, y + 16, e.label, 'text-anchor="end" font-size="12"'));
    parts.push(rect(from, y + 5, to - from, ROW_H - 10, color(e.met)));
    if (e.goal !== undefined) {
      parts.push(line(x(e.goal), y + 2, x(e.goal), y + ROW_H - 2, 'stroke="#000" stroke-width="2" stroke-dasharray="3,2"'));
    }
    const label = e.advantage >= 1 ? `${e.advantage.toFixed(2)}× better` : `${(1 / e.advantage).toFixed(2)}× worse`;
    parts.push(text(Math.max(to, x(e.goal ?? 0.0001)) + 6, y + 16, label, 'font-size="11"'));
  });
  return [parts, plotBottom + 24 - top];
}

/** Panel 2: share of each absolute budget used, on a linear axis. */
function budgetPanel(entries, top) {
  const parts = [text(10, top + 16, 'Absolute goals: share of the budget used (left of 100 % = goal met)', 'font-weight="bold"')];
  const hi = Math.min(3, Math.max(1.25, ...entries.map((e) => e.used * 1.1)));
  const x = (v) => PLOT_X0 + (Math.min(v, hi) / hi) * (PLOT_X1 - PLOT_X0);
  const plotTop = top + 28;
  const plotBottom = plotTop + entries.length * ROW_H;
  for (let v = 0; v <= hi + 1e-9; v += 0.25) {
    parts.push(line(x(v), plotTop, x(v), plotBottom, 'stroke="#e0e0e0"'));
    parts.push(text(x(v), plotBottom + 14, `${Math.round(v * 100)} %`, 'text-anchor="middle" font-size="11" fill="#555"'));
  }
  parts.push(line(x(1), plotTop - 4, x(1), plotBottom, 'stroke="#000" stroke-width="2" stroke-dasharray="3,2"'));
  entries.forEach((e, i) => {
    const y = plotTop + i * ROW_H;
    parts.push(text(LABEL_W, y + 16, e.label, 'text-anchor="end" font-size="12"'));
    parts.push(rect(x(0), y + 5, x(e.used) - x(0), ROW_H - 10, color(e.met)));
    const over = e.used > hi ? ' (off the scale)' : '';
    parts.push(text(x(e.used) + 6, y + 16, `${e.text}, ${Math.round(e.used * 100)} %${over}`, 'font-size="11"'));
  });
  return [parts, plotBottom + 24 - top];
}

/**
 * `ratios`: [{label, advantage, goal?, met}], advantage > 1 meaning ours is better.
 * `budgets`: [{label, used, text, met}], used = measured ÷ limit.
 */
function renderChart({ title, subtitle, ratios, budgets }) {
  const parts = [
    text(10, 22, title, 'font-size="16" font-weight="bold"'),
    text(10, 40, subtitle, 'font-size="11" fill="#555"'),
  ];
  let top = 52;
  for (const [entries, panel] of [
    [ratios, ratioPanel],
    [budgets, budgetPanel],
  ]) {
    if (entries.length === 0) continue;
    const [panelParts, height] = panel(entries, top);
    parts.push(...panelParts);
    top += height + 10;
  }
  const legend = [
    [COLORS.met, 'goal met'],
    [COLORS.missed, 'goal missed'],
    [COLORS.none, 'no goal (reported)'],
  ];
  legend.forEach(([fill, label], i) => {
    parts.push(rect(10 + i * 150, top, 12, 12, fill));
    parts.push(text(28 + i * 150, top + 11, label, 'font-size="11"'));
  });
  parts.push(line(470, top + 6, 490, top + 6, 'stroke="#000" stroke-width="2" stroke-dasharray="3,2"'));
  parts.push(text(496, top + 11, 'goal', 'font-size="11"'));
  const height = top + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { renderChart };
