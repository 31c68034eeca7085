// The query editor at /sparql: YASGUI set up for this endpoint.
//
// The page's JSON data block (#editor-config) gives the endpoint, a default query,
// the prefixes and the named queries as examples; a share link's query comes in the
// address's fragment (#query=...), which the server never sees. Results show as a table, the raw response, or a Vega-Lite chart (a
// YASR plugin using MipexCharts.specFor); the links under the editor download the
// last query's results as CSV, JSON or TSV from the endpoint itself.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const shared = new URLSearchParams(window.location.hash.slice(1)).get("query");
  if (shared) config.query = shared;

  // A chart of the results, chosen from their columns (see MipexCharts.specFor).
  class ChartPlugin {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = "Chart";
    }

    canHandleResults() {
      const results = this.yasr.results;
      return Boolean(results && results.getVariables && results.getVariables().length &&
                     results.getBindings && results.getBindings());
    }

    getIcon() {
      // three bars, 16 px: drawn with the DOM (no inline markup, no image file)
      const ns = "http://www.w3.org/2000/svg";
      const icon = document.createElementNS(ns, "svg");
      icon.setAttribute("viewBox", "0 0 16 16");
      icon.setAttribute("width", "16");
      icon.setAttribute("height", "16");
      icon.setAttribute("aria-hidden", "true");
      [[1, 9, 7], [6, 4, 12], [11, 7, 9]].forEach(([x, y, h]) => {
        const bar = document.createElementNS(ns, "rect");
        bar.setAttribute("x", x);
        bar.setAttribute("y", y);
        bar.setAttribute("width", "4");
        bar.setAttribute("height", h);
        bar.setAttribute("fill", "currentColor");
        icon.appendChild(bar);
      });
      return icon;
    }

    async draw() {
      const results = this.yasr.results;
      const spec = MipexCharts.specFor(results.getVariables(), results.getBindings() || []);
      const figure = document.createElement("figure");
      figure.className = "chart";
      figure.innerHTML = '<div class="view"></div><figcaption>' +
        '<button type="button" class="link" data-download="svg">Download SVG</button>' +
        '<button type="button" class="link" data-download="png">Download PNG</button></figcaption>';
      this.yasr.resultsEl.appendChild(figure);
      if (!spec) {
        figure.querySelector(".view").textContent =
          "No chart for these columns: a chart needs a number and either a year (a line per series) or a label (bars).";
        figure.querySelector("figcaption").remove();
        return;
      }
      await MipexCharts.draw(figure, spec, "query-results");
    }
  }
  Yasgui.Yasr.registerPlugin("chart", ChartPlugin);

  // only completions from this page: no look-ups on other sites (prefix.cc, LOV)
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  const prefixes = config.prefixes;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "GET",
                     acceptHeaderSelect: "application/sparql-results+json",
                     acceptHeaderGraph: "text/turtle" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint: config.endpoint }] },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: {
      value: config.query,
      createShareableLink: (yasqe) =>
        `${window.location.origin}${window.location.pathname}#query=${encodeURIComponent(yasqe.getValue())}`,
      resizeable: true,
      editorHeight: "320px",
    },
    yasr: {
      prefixes,
      pluginOrder: ["table", "response", "chart"],
      defaultPlugin: "table",
    },
  });

  // Accessibility of YASGUI's own markup: name its unlabelled fields, and keep the
  // tab list to tabs (its "add a tab" button moves beside the list).
  function tidyMarkup() {
    const host = document.getElementById("yasgui");
    const names = [[".autocomplete", "SPARQL endpoint"], [".tab input", "Tab name"],
                   [".CodeMirror textarea", "SPARQL query"]];
    for (const [selector, name] of names) {
      for (const field of host.querySelectorAll(selector)) {
        if (!field.hasAttribute("aria-label")) field.setAttribute("aria-label", name);
      }
    }
    for (const list of host.querySelectorAll(".tabsList")) {
      const add = list.querySelector(":scope > div:has(> button.addTab)");
      if (add) list.after(add);
    }
  }
  tidyMarkup();
  new MutationObserver(tidyMarkup).observe(document.getElementById("yasgui"),
                                           { childList: true, subtree: true });

  const tab = () => yasgui.getTab();
  tab().setQuery(config.query);

  // -- examples: the named queries ---------------------------------------------------
  const select = document.getElementById("examples");
  const description = document.getElementById("example-description");
  for (const example of config.examples) {
    const option = new Option(`${example.title} (${example.name})`, example.name);
    select.appendChild(option);
  }
  select.onchange = () => {
    const example = config.examples.find((e) => e.name === select.value);
    if (!example) return;
    tab().setQuery(example.query);
    description.textContent = example.description;
  };

  // -- downloads of the last query's results ------------------------------------------
  function updateDownloads() {
    const query = tab().getQuery();
    for (const format of ["csv", "json", "tsv"]) {
      const url = new URL(config.endpoint);
      url.searchParams.set("query", query);
      url.searchParams.set("format", format);
      document.getElementById(`download-${format}`).href = url.toString();
    }
  }
  yasgui.on("query", updateDownloads);
  updateDownloads();
})();
