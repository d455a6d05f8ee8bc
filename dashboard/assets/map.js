// Runs in the browser: the part of the map a user panned or zoomed to, for the URL and exports;
// the map below the selected area, drawn at once when it is clicked.

// What a click on the selected area would open (`wanted`) and its figure once sent (`next`).
const ahead = {wanted: null, next: null};

// A click on the selected area whose map below has arrived: draw that map now, straight from
// plotly's click event. The navigate callback, fired by the same click, then brings the same
// figure with the legend, heading and address (and plotly finds nothing left to redraw).
function drawAhead(event) {
  const point = event && event.points && event.points[0];
  const {wanted, next} = ahead;
  if (!point || !wanted || !next || point.location !== wanted.area || next.view !== wanted.view) return;
  const gd = document.querySelector("#map .js-plotly-plot");
  if (gd && window.Plotly) window.Plotly.react(gd, next.figure.data, next.figure.layout);
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ondermijning: {
    // The page's language (the URL's `taal`, Dutch by default) on <html lang>, for screen
    // readers, spelling and hyphenation: the language switch changes only the URL.
    pageLanguage: function (search) {
      const lang = new URLSearchParams(search || "").get("taal") === "en" ? "en" : "nl";
      document.documentElement.lang = lang;
      return lang;
    },
    // After a relayout of the map's geo: {view: the figure's uirevision, extent: [west, south,
    // east, north]} of the visible frame, in degrees rounded to 5 decimals (about 1 m).
    visibleExtent: function (relayout) {
      const noUpdate = window.dash_clientside.no_update;
      if (!relayout || !Object.keys(relayout).some((key) => key.startsWith("geo."))) return noUpdate;
      const gd = document.querySelector("#map .js-plotly-plot");
      const geo = gd && gd._fullLayout && gd._fullLayout.geo;
      const sub = geo && geo._subplot;
      if (!sub || !sub.projection || !sub.xaxis || !sub.yaxis) return noUpdate;
      const x = sub.xaxis, y = sub.yaxis;
      const nw = sub.projection.invert([x._offset, y._offset]);
      const se = sub.projection.invert([x._offset + x._length, y._offset + y._length]);
      if (!nw || !se) return noUpdate;
      const r = (v) => Math.round(v * 1e5) / 1e5;
      return {view: gd.layout.uirevision, extent: [r(nw[0]), r(se[1]), r(se[0]), r(nw[1])]};
    },
    // Ahead of a drill-down, once an area is selected (`wanted`: {area, geometry, view}): the
    // polygons below it go into plotly's own cache of GeoJSON (window.PlotlyGeoAssets, keyed by
    // URL), so that map draws without a request, and the address of that map is returned for
    // the server to send its figure (callbacks/map.py: map_ahead).
    prefetch: function (wanted) {
      ahead.wanted = wanted;
      if (!wanted) return window.dash_clientside.no_update;
      const assets = window.PlotlyGeoAssets;
      if (assets && !assets[wanted.geometry]) {
        fetch(wanted.geometry, {credentials: "same-origin"})
          .then((response) => (response.ok ? response.json() : null))
          .then((geojson) => {
            if (geojson && geojson.type && !assets[wanted.geometry]) assets[wanted.geometry] = geojson;
          })
          .catch(() => {});
      }
      return wanted.view;
    },
    // The figure of that map ({view, figure}), kept for a click on the selected area to draw.
    keepAhead: function (next) {
      ahead.next = next;
      const gd = document.querySelector("#map .js-plotly-plot");
      if (gd && gd.on && !gd.__drawsAhead) {
        gd.on("plotly_click", drawAhead);
        gd.__drawsAhead = true;
      }
      return window.dash_clientside.no_update;
    },
  },
});
