// Runs in the browser: the part of the map a user panned or zoomed to, for the URL and exports.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ondermijning: {
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
    // The polygons a click on the selected area would open, fetched ahead into the browser's
    // cache (the server marks them immutable), so the drill-down itself waits for no geometry.
    prefetch: function (url) {
      if (url) fetch(url, {credentials: "same-origin"}).catch(() => {});
      return window.dash_clientside.no_update;
    },
  },
});
