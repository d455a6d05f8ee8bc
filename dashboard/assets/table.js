// Runs in the browser: the area table (dashboard/tables.py). Its grid library (AG Grid, 1.3 MB)
// is not part of the page (callbacks/map.py names it in <link id="grid-script">): it is loaded
// when the table is first opened, and the table is asked for once it has run.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ondermijning: Object.assign({}, (window.dash_clientside || {}).ondermijning, {
    tableOpened: function (clicks) {
      const link = document.getElementById("grid-script");
      if (!clicks || window.dash_ag_grid || !link) return clicks || window.dash_clientside.no_update;
      if (!link.dataset.loading) {
        link.dataset.loading = "yes";
        const script = document.createElement("script");
        script.src = link.href;
        script.onload = function () {
          window.dash_clientside.set_props("table-opened", {data: Number(link.dataset.clicks)});
        };
        document.head.appendChild(script);
      }
      link.dataset.clicks = clicks;   // the latest clicks count once it has loaded
      return window.dash_clientside.no_update;
    },
  }),
});

// The number filters read numbers the way the page writes them, "1.234,5" in Dutch and
// "1,234.5" in English.
window.dashAgGridFunctions = Object.assign({}, window.dashAgGridFunctions, {
  parseTableNumber: function (text, lang) {
    if (text === null || text === undefined || String(text).trim() === "") return null;
    const [group, decimal] = lang === "en" ? [",", "."] : [".", ","];
    const number = Number(String(text).trim().split(group).join("").replace(decimal, "."));
    return Number.isFinite(number) ? number : null;
  },
});
