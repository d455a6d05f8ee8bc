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
  ondermijning: Object.assign({}, (window.dash_clientside || {}).ondermijning, {
    // The page's language (the URL's `taal`, Dutch by default) on <html lang>, for screen
    // readers, spelling and hyphenation: the language switch changes only the URL.
    // An opened profile is scrolled into view when it is not (a click on the map must not seem
    // to do nothing); the page does not move when it is in view already.
    profileInView: function (children) {
      const panel = document.getElementById("profile");
      if (children && children.length && panel) {
        window.requestAnimationFrame(function () {
          const box = panel.getBoundingClientRect();
          if (box.top < 0 || box.top > window.innerHeight - 80) panel.scrollIntoView({block: "start"});
        });
      }
      return window.dash_clientside.no_update;
    },
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
  }),
});

// The wheel scrolls the page over the map too (scrollZoom is off); Ctrl+wheel (or a pinch)
// zooms the map as the modebar's + and - buttons do: by clicking them, so plotly's own zoom
// (limits, centre, the URL's extent) applies. A trackpad sends many small steps: one zoom
// per 50 pixels of them, never more than one per event.
let wheeled = 0;
document.addEventListener("wheel", function (event) {
  const gd = event.ctrlKey && event.target.closest && event.target.closest("#map .js-plotly-plot");
  if (!gd) return;
  event.preventDefault();   // not the browser's page zoom
  wheeled += event.deltaY;
  if (Math.abs(wheeled) < 50) return;
  const button = gd.querySelector('.modebar-btn[data-attr="zoom"][data-val="' + (wheeled < 0 ? "in" : "out") + '"]');
  wheeled = 0;
  if (button) button.click();
}, {passive: false, capture: true});

// Escape closes the profile, as its close button does.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || event.defaultPrevented) return;
  // Escape in a search box or dropdown closes that first
  if (event.target.closest && event.target.closest("input, textarea, select, [role=combobox]")) return;
  const close = document.getElementById("profile-close");
  if (close) close.click();
});
