// Runs in the browser: the ranked list of the map's areas (dashboard/panels.py: area_list),
// drawn straight into the page, not through React: a national map lists 342 gemeenten, which
// as Dash components would cost half a megabyte and a long render on every map change.
// Its links go where the map's clicks go: an area's profile, the map below it.

function listItem(row, words, signed, current) {
  const li = document.createElement("li");
  li.dataset.code = row.code;
  if (row.code === current) li.className = "current";
  const rank = document.createElement("span");
  rank.className = "list-rank";
  rank.textContent = row.rank === null ? "" : String(row.rank);
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = row.colour;
  const name = document.createElement("span");
  name.className = "list-name";
  const code = document.createElement("span");
  code.className = "muted";
  code.textContent = " (" + row.code + ")";
  name.append(row.name, code);
  li.append(rank, swatch, name, bar(row, signed), text("bar-value", row.text), links(row, words));
  return li;
}

function text(className, value) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = value;
  return span;
}

// The value's bar (a picture of the value written beside it: hidden from screen readers).
function bar(row, signed) {
  const track = document.createElement("span");
  track.setAttribute("aria-hidden", "true");
  if (row.bar === null) {
    track.className = "bar-track empty";
    return track;
  }
  const fill = document.createElement("span");
  fill.style.width = Math.abs(row.bar) + "%";
  if (!signed) {
    track.className = "bar-track single";
    fill.className = "bar";
    fill.style.background = row.colour;
    track.append(fill);
    return track;
  }
  track.className = "bar-track";
  fill.className = "bar " + (row.bar > 0 ? "up" : "down");
  const below = text("bar-half below", ""), above = text("bar-half above", "");
  (row.bar < 0 ? below : above).append(fill);
  track.append(below, above);
  return track;
}

function links(row, words) {
  const span = document.createElement("span");
  span.className = "list-links";
  const targets = [[words.profile, words.profile_of, row.profile, "profile"],
                   [words.below, words.below_of, row.below, "map"]];
  for (const [label, context, href, then] of targets) {
    if (!href) continue;
    const a = document.createElement("a");
    a.className = "list-link utrecht-link utrecht-link--html-a";   // as dashboard/look.py: LINK
    a.href = href;
    a.dataset.then = then;
    a.append(label, text("visually-hidden", " " + context.replace("{name}", row.name)));
    span.append(a);
  }
  return span;
}

const ORDERS = {
  hoog: (a, b) => rankOrder(a, b, 1),
  laag: (a, b) => rankOrder(a, b, -1),
  naam: (a, b) => a.name.localeCompare(b.name) || a.code.localeCompare(b.code),
};

// By rank (1 = highest value), areas without a value last, then by name.
function rankOrder(a, b, direction) {
  if (a.rank === null || b.rank === null) return (a.rank === null) - (b.rank === null);
  return direction * (a.rank - b.rank) || a.name.localeCompare(b.name);
}

// A link of the list opens its address as a dcc.Link would (the URL changes, the page
// follows); the keyboard focus then goes to what it opened: the profile, or the map's heading.
document.addEventListener("click", function (event) {
  const a = event.target.closest && event.target.closest("#area-list-body a.list-link");
  if (!a || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  window.history.pushState({}, "", a.href);
  window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  const code = a.closest("li").dataset.code;
  focusWhenShown(a.dataset.then === "profile"
    ? () => {
      const title = document.getElementById("profile-title");
      return title && title.textContent.includes("(" + code + ")") ? title : null;
    }
    : () => document.getElementById("map-heading"));
});

function focusWhenShown(find, tries = 100) {
  const target = find();
  if (target) {
    if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
    target.focus({preventScroll: true});
    target.scrollIntoView({block: "start"});
  } else if (tries > 0) {
    window.setTimeout(() => focusWhenShown(find, tries - 1), 50);
  }
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ondermijning: Object.assign({}, (window.dash_clientside || {}).ondermijning, {
    drawAreaList: function (data, order, search) {
      const current = new URLSearchParams(search || "").get("gebied");
      const body = document.getElementById("area-list-body");
      if (body) {
        const list = document.createElement("ol");
        list.className = "area-list";
        list.setAttribute("aria-labelledby", "area-list-title");
        if (data && data.rows) {
          const rows = data.rows.slice().sort(ORDERS[order] || ORDERS.hoog);
          list.append(...rows.map((row) => listItem(row, data.words, data.signed, current)));
        }
        body.replaceChildren(list);
      }
      return window.dash_clientside.no_update;
    },
  }),
});
