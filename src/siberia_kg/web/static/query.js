// The SPARQL query page: YASGUI (served from node_modules by this server) pointed at this
// server's endpoint, and the sample queries one click away (click = load and run).
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el) return;
  var lib = window.Yasgui && (window.Yasgui.default || window.Yasgui);
  if (typeof lib !== "function") {
    var p = document.createElement("p");
    p.className = "notice";
    p.textContent = "The query editor could not be loaded.";
    el.appendChild(p);
    return;
  }
  var endpoint = new URL(el.dataset.endpoint, window.location.href).href;
  var yasgui = new lib(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    // Property and class completion ask a service on the Internet (LOV); leave them out.
    yasqe: { autocompleters: ["prefixes", "variables"] },
    persistenceId: "siberia-kg-yasgui",
    populateFromUrl: false,
    autofocus: false
  });
  var tab = yasgui.getTab();
  if (tab.getEndpoint && tab.getEndpoint() !== endpoint) tab.setEndpoint(endpoint);

  function sampleText(name) {
    var pre = document.getElementById("sample-" + name);
    return pre ? pre.textContent : null;
  }
  function load(name, run) {
    var text = sampleText(name);
    if (text === null) return;
    tab = yasgui.getTab();
    tab.setEndpoint(endpoint);
    tab.setQuery(text);
    document.querySelectorAll(".samples li").forEach(function (li) {
      li.classList.toggle("chosen", !!li.querySelector('[data-sample="' + CSS.escape(name) + '"]'));
    });
    if (run) tab.query();
  }
  document.querySelectorAll("button.run-sample").forEach(function (b) {
    b.addEventListener("click", function () {
      load(b.dataset.sample, true);
      el.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  if (el.dataset.chosen) load(el.dataset.chosen, false);
})();
