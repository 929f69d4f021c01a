// Search as you type, from the JSON form of /search; the form still works without it.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var out = document.getElementById("search-results");
  if (!form || !input || !out || !window.fetch) return;
  var timer = null, seq = 0;
  var lang = (form.querySelector('input[name="lang"]') || {}).value || "";

  function render(q, data) {
    out.textContent = "";
    var summary = document.createElement("p");
    summary.className = "summary";
    summary.textContent = data.total ? data.total + " result" + (data.total === 1 ? "" : "s") + " for “" + q + "”"
      : "No results for “" + q + "”";
    out.appendChild(summary);
    if (!data.results.length) return;
    var ol = document.createElement("ol");
    ol.className = "results";
    data.results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.label;
      li.appendChild(a);
      if (r.matched !== r.label) {
        var m = document.createElement("span");
        m.className = "matched";
        m.textContent = " — " + r.matched + (r.matched_lang ? " @" + r.matched_lang : "");
        li.appendChild(m);
      }
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [r.kind].concat(r.types).concat([r.match]).join(" · ");
      li.appendChild(meta);
      ol.appendChild(li);
    });
    out.appendChild(ol);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value;
    if (!q.trim()) return;
    timer = setTimeout(function () {
      var mine = ++seq;
      var url = "/search?format=json&q=" + encodeURIComponent(q) + (lang ? "&lang=" + encodeURIComponent(lang) : "");
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && mine === seq) {
            render(q, data);
            history.replaceState(null, "", "/search?q=" + encodeURIComponent(q) + (lang ? "&lang=" + lang : ""));
          }
        })
        .catch(function () { /* the form still works */ });
    }, 200);
  });
})();
