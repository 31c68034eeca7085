// The charts of the pages, drawn with Vega-Lite from the service's own REST routes.
//
// A page declares a chart with a hidden element <div data-chart="..." data-...>
// naming the routes that feed it, and a <figure class="chart"> to draw into (its
// caption links to the route and has "Download SVG/PNG" buttons). Kinds:
//   jurisdiction  the overall score and each policy area over the years (one line chart)
//   indicator     every jurisdiction's score in a year: sorted bars and a choropleth map
//   compare       2-6 jurisdictions side by side, by policy area
// MipexCharts.specFor(columns, rows) is also used by the query editor's chart tab.
"use strict";

const MipexCharts = (() => {
  const WIDTH = 760;
  const NUMERIC = /#(decimal|integer|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(`${url}: ${response.status} ${await response.text()}`);
    }
    return response.json();
  }

  function withParams(url, params) {
    const u = new URL(url, window.location.href);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  }

  // Draw spec into the figure; wire its download buttons; resolves to the Vega view.
  async function draw(figure, spec, name) {
    const host = figure.querySelector(".view");
    // Vega's expression interpreter (interpreter.js): no eval under the page's CSP
    const result = await vegaEmbed(host, spec, {
      renderer: "svg", actions: false, ast: true, expr: window.vegaExpressionInterpreter });
    figure.dataset.drawn = "true";
    for (const button of figure.querySelectorAll("button[data-download]")) {
      button.onclick = async () => {
        const type = button.dataset.download;
        const link = document.createElement("a");
        link.href = await result.view.toImageURL(type, type === "png" ? 2 : 1);
        link.download = `${name}.${type}`;
        document.body.appendChild(link);
        link.click();
        link.remove();
      };
    }
    return result.view;
  }

  function fail(figure, error) {
    figure.querySelector(".view").textContent = `The chart could not be drawn: ${error.message}`;
    figure.dataset.drawn = "error";
  }

  // Shouted titles of the workbooks ("HEALTH") in title case, others as they are.
  function tidy(title) {
    if (title !== title.toUpperCase()) return title;
    return title.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
  }

  function startsOfEditions(rows) {
    // the first year of every edition after the first: where the series breaks
    const first = new Map();
    for (const r of rows) {
      if (!first.has(r.edition) || r.year < first.get(r.edition)) first.set(r.edition, r.year);
    }
    const starts = [...first.values()].sort((a, b) => a - b);
    return starts.slice(1).map((year) => ({ year, label: "new edition" }));
  }

  function jurisdictionSpec(rows) {
    const breaks = startsOfEditions(rows);
    const layers = [{
      data: { values: rows },
      mark: { type: "line", point: true, strokeWidth: 2 },
      encoding: {
        x: { field: "year", type: "quantitative", title: "Year", axis: { format: "d", tickMinStep: 1 } },
        y: { field: "score", type: "quantitative", title: "Score (0-100)", scale: { domain: [0, 100] } },
        color: { field: "label", type: "nominal", title: "Score", sort: { field: "order" } },
        strokeDash: { field: "overall", type: "nominal", legend: null },
        detail: { field: "edition" },  // one line per edition: no line across a break
        tooltip: [{ field: "label", title: "Area" }, { field: "year", title: "Year" },
                  { field: "score", title: "Score", format: ".1f" }, { field: "edition", title: "Edition" }],
      },
    }];
    if (breaks.length) {
      layers.push({
        data: { values: breaks },
        mark: { type: "rule", strokeDash: [4, 4], color: "#6b7280" },
        encoding: { x: { field: "year", type: "quantitative" } },
      });
    }
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH, height: 360, layer: layers,
      description: "Overall and policy-area scores by year",
    };
  }

  async function drawJurisdiction(spec) {
    const figure = document.getElementById("chart-series");
    const body = await getJSON(spec.dataset.source);
    const rows = body.items
      .filter((r) => r.level === "overall" || r.level === "area")
      .map((r, i) => ({ ...r, label: tidy(r.label), order: i,
                        overall: r.level === "overall" ? "overall" : "area" }));
    figure.dataset.scores = String(rows.length);
    await draw(figure, jurisdictionSpec(rows), "scores-over-time");
  }

  function barsSpec(rows, labelField, valueField, title) {
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH, height: { step: 14 },
      data: { values: rows },
      mark: { type: "bar", color: "#1f6feb" },
      encoding: {
        y: { field: labelField, type: "nominal", sort: "-x", title: null },
        x: { field: valueField, type: "quantitative", title },
        tooltip: [{ field: labelField }, { field: valueField, format: ".2f" }],
      },
    };
  }

  function mapSpec(atlas, rows) {
    const shapes = { values: atlas, format: { type: "topojson", feature: "countries" } };
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH, height: 420,
      projection: { type: "equalEarth" },
      layer: [
        { data: shapes, mark: { type: "geoshape", fill: "#e5e7eb", stroke: "#ffffff", strokeWidth: 0.3,
                                aria: false } },  // the grey background: no score
        {
          data: shapes,
          transform: [
            { lookup: "id", from: { data: { values: rows }, key: "isoNumeric",
                                    fields: ["score", "jurisdictionLabel"] } },
            { filter: "isValid(datum.score)" },
          ],
          mark: { type: "geoshape", stroke: "#ffffff", strokeWidth: 0.3 },
          encoding: {
            color: { field: "score", type: "quantitative", title: "Score",
                     scale: { domain: [0, 100], scheme: "blues" } },
            tooltip: [{ field: "jurisdictionLabel", title: "Jurisdiction" },
                      { field: "score", title: "Score", format: ".1f" }],
          },
        },
      ],
    };
  }

  async function drawIndicator(spec) {
    const select = document.getElementById("indicator-year");
    const indicator = spec.dataset.indicator;
    const years = (await getJSON(spec.dataset.years)).items.map((r) => r.year);
    const distinct = [...new Set(years)].sort((a, b) => b - a);
    select.replaceChildren(...distinct.map((y) => new Option(String(y), String(y))));
    const atlas = await getJSON(spec.dataset.atlas);
    const bars = document.getElementById("chart-ranking");
    const map = document.getElementById("chart-map");
    async function show(year) {
      const params = { indicator, year };
      const ranking = await getJSON(withParams(spec.dataset.rankings, params));
      const mapped = await getJSON(withParams(spec.dataset.map, params));
      bars.querySelector("figcaption a").href = withParams(spec.dataset.rankings, params);
      map.querySelector("figcaption a").href = withParams(spec.dataset.map, params);
      bars.dataset.scores = String(ranking.items.length);
      map.dataset.scores = String(mapped.items.filter((r) => r.isoNumeric).length);
      await draw(bars, barsSpec(ranking.items, "jurisdictionLabel", "score", `Score in ${year}`),
                 `ranking-${year}`);
      await draw(map, mapSpec(atlas, mapped.items), `map-${year}`);
    }
    select.onchange = () => show(Number(select.value)).catch((e) => fail(bars, e));
    if (distinct.length) {
      const year = distinct.includes(2019) ? 2019 : distinct[0];
      select.value = String(year);
      await show(year);
    } else {
      fail(bars, new Error("no scores for this indicator in the store"));
      fail(map, new Error("no scores for this indicator in the store"));
    }
  }

  async function drawCompare(spec) {
    const figure = document.getElementById("chart-compare");
    const status = document.getElementById("compare-status");
    const params = { jurisdictions: spec.dataset.jurisdictions, year: spec.dataset.year };
    getJSON(spec.dataset.list).then((body) => {
      document.getElementById("jurisdiction-codes").replaceChildren(
        ...body.items.map((j) => new Option(j.label, j.code)));
    }).catch(() => {});
    const levels = await Promise.all(["overall", "area"].map(
      (level) => getJSON(withParams(spec.dataset.compare, { ...params, level }))));
    const rows = [];
    levels.forEach((body, rank) => body.items.forEach((item, order) => {
      for (const [code, score] of Object.entries(item.scores)) {
        if (score !== null) rows.push({ label: tidy(item.label), code, score, order: rank * 100 + order });
      }
    }));
    figure.dataset.scores = String(rows.length);
    status.textContent = rows.length ? "" : "No scores for these jurisdictions in this year.";
    await draw(figure, {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: WIDTH, height: 320, data: { values: rows },
      mark: { type: "bar" },
      encoding: {
        x: { field: "label", type: "nominal", title: null, sort: { field: "order" },
             axis: { labelAngle: -30, labelLimit: 180 } },
        xOffset: { field: "code", type: "nominal" },
        y: { field: "score", type: "quantitative", title: "Score (0-100)", scale: { domain: [0, 100] } },
        color: { field: "code", type: "nominal", title: "Jurisdiction" },
        tooltip: [{ field: "code", title: "Jurisdiction" }, { field: "label", title: "Area" },
                  { field: "score", title: "Score", format: ".1f" }],
      },
    }, `compare-${spec.dataset.year}`);
  }

  // -- charts of SPARQL results (the query editor) ---------------------------------

  function isNumber(term) {
    return term.type === "literal" && NUMERIC.test(term.datatype || "");
  }

  // A Vega-Lite spec for SPARQL JSON results, chosen from the columns, or null:
  // a year and a number -> a line per series (the label column); a label and a
  // number -> sorted bars. The number is a column named like a score, value or count
  // if there is one; the label one named like a label, name or title, else the first
  // text column, else the first IRI column.
  function specFor(vars, bindings) {
    const present = (v) => bindings.some((b) => b[v]);
    const all = (v, test) => bindings.every((b) => !b[v] || test(b[v]));
    const numeric = vars.filter((v) => bindings.length && present(v) && all(v, isNumber));
    const year = numeric.find((v) => /year/i.test(v)) ||
      vars.find((v) => /year/i.test(v) && present(v) && all(v, (t) => /^\d{4}$/.test(t.value)));
    const values = numeric.filter((v) => v !== year);
    const value = values.find((v) => /score|value|count|total|mean/i.test(v)) ||
      values.find((v) => !/rank|order/i.test(v)) || values[0];
    const texts = vars.filter((v) => v !== year && !numeric.includes(v) && present(v));
    const isText = (t) => t.type === "literal" && !/#boolean$/.test(t.datatype || "");
    const label = texts.find((v) => /label|name|title/i.test(v) && all(v, isText)) ||
      texts.find((v) => all(v, isText)) || texts.find((v) => all(v, (t) => t.type === "uri"));
    const rows = bindings.map((b) => {
      const row = {};
      for (const v of vars) if (b[v]) row[v] = numeric.includes(v) || v === year ? Number(b[v].value) : b[v].value;
      return row;
    });
    if (year) {
      const encoding = {
        x: { field: year, type: "quantitative", axis: { format: "d", tickMinStep: 1 } },
        y: { field: value, type: "quantitative" },
        tooltip: vars.map((v) => ({ field: v })),
      };
      if (label) encoding.color = { field: label, type: "nominal" };
      return { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: WIDTH, height: 360,
               data: { values: rows }, mark: { type: "line", point: true }, encoding };
    }
    return barsSpec(rows, label, value, value);
  }

  const drawers = { jurisdiction: drawJurisdiction, indicator: drawIndicator, compare: drawCompare };

  document.addEventListener("DOMContentLoaded", () => {
    for (const spec of document.querySelectorAll("[data-chart]")) {
      const drawer = drawers[spec.dataset.chart];
      if (drawer) {
        drawer(spec).catch((error) => {
          for (const figure of document.querySelectorAll("figure.chart")) {
            if (!figure.dataset.drawn) fail(figure, error);
          }
        });
      }
    }
  });

  return { draw, specFor };
})();
