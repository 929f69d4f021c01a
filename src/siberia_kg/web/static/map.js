// Draws the camps and places of the page's #map-data block on an offline basemap: country
// outlines from world-atlas (TopoJSON, served by this server), no tile server. Popups are built
// with textContent, never innerHTML, so labels cannot inject markup.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (!el || !dataEl) return;
  if (!window.L || !window.topojson) {
    var p = document.createElement("p");
    p.className = "notice";
    p.textContent = "The map library could not be loaded; the places are listed below.";
    el.appendChild(p);
    return;
  }
  var points = JSON.parse(dataEl.textContent);
  var single = el.dataset.zoom ? parseFloat(el.dataset.zoom) : null;

  var map = L.map(el, { zoomSnap: 0.5, worldCopyJump: false, minZoom: 1, maxZoom: 12 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Country outlines: Natural Earth (world-atlas)");
  map.createPane("countries");
  map.getPane("countries").style.zIndex = 250;

  fetch(el.dataset.atlas, { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (topo) {
      var land = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(land, {
        pane: "countries", interactive: false,
        style: { color: "#b9b3a3", weight: 0.8, fillColor: "#f6f3ea", fillOpacity: 1 }
      }).addTo(map);
      el.dataset.basemap = "drawn";
    })
    .catch(function (err) {
      el.dataset.basemap = "failed";
      console.warn("country outlines not loaded:", err);
    });

  // One marker per position and kind: a camp takes its settlement's coordinates, so a camp
  // ring (dashed when approximate) is drawn around the settlement's dot. Every marker's popup
  // lists everything at its position, camps first, whichever of them is clicked.
  var byPos = {}, atPos = {};
  points.forEach(function (pt) {
    var camp = pt.kind === "camp";
    var pos = pt.lat.toFixed(4) + "," + pt.lon.toFixed(4);
    var key = pos + (camp ? ",camp" : ",place") + (pt.approximate ? ",approx" : "");
    (byPos[key] = byPos[key] || []).push(pt);
    (atPos[pos] = atPos[pos] || []).push(pt);
  });
  Object.keys(atPos).forEach(function (pos) {
    atPos[pos].sort(function (a, b) { return (b.kind === "camp") - (a.kind === "camp"); });
  });

  function popup(group) {
    var box = document.createElement("div");
    var ul = document.createElement("ul");
    ul.className = "popup-list";
    group.forEach(function (pt) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = pt.href;
      a.textContent = pt.label;
      li.appendChild(a);
      if (pt.types && pt.types.length) {
        li.appendChild(document.createTextNode(" (" + pt.types.join(", ") + ")"));
      }
      if (pt.approximate) {
        var note = document.createElement("div");
        note.className = "popup-note";
        note.textContent = "approximate coordinates" + (pt.from ? ", from " + pt.from.text : "");
        li.appendChild(note);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }

  var markers = [];
  // Camps first, so the smaller place dots are drawn (and clickable) on top of the rings.
  Object.keys(byPos).sort(function (a, b) {
    return (b.indexOf(",camp") >= 0) - (a.indexOf(",camp") >= 0);
  }).forEach(function (key) {
    var group = byPos[key];
    var hasCamp = group.some(function (p) { return p.kind === "camp"; });
    var allApprox = group.every(function (p) { return p.approximate; });
    var color = hasCamp ? "#b3261e" : "#1f5f99";
    var m = L.circleMarker([group[0].lat, group[0].lon], {
      radius: hasCamp ? 9 : 5, color: color, weight: 2,
      fillColor: color, fillOpacity: allApprox ? 0.1 : 0.75,
      dashArray: allApprox ? "3 3" : null,
      className: "marker " + (hasCamp ? "marker-camp" : "marker-place") + (allApprox ? " marker-approx" : "")
    });
    var here = atPos[group[0].lat.toFixed(4) + "," + group[0].lon.toFixed(4)];
    m.bindPopup(popup(here));
    // A short hover label: this marker's first entity, and how many more the popup lists.
    m.bindTooltip(group[0].label + (here.length > 1 ? " (+" + (here.length - 1) + ")" : ""));
    m.addTo(map);
    markers.push(m);
  });
  el.dataset.markers = String(markers.length);

  if (single && points.length) {
    map.setView([points[0].lat, points[0].lon], single);
  } else if (markers.length) {
    map.fitBounds(L.featureGroup(markers).getBounds().pad(0.15));
  } else {
    map.setView([50, 100], 3);
  }

  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    [["dot camp", "camp"], ["dot place", "place"], ["dot approx", "approximate coordinates"]]
      .forEach(function (row) {
        var line = document.createElement("div");
        var dot = document.createElement("span");
        dot.className = row[0];
        line.appendChild(dot);
        line.appendChild(document.createTextNode(" " + row[1]));
        div.appendChild(line);
      });
    return div;
  };
  legend.addTo(map);
})();
