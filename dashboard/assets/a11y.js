// Runs in the browser: repairs the markup of Dash 4's own widgets where it breaks WCAG 2.1 rules
// that axe-core checks (tests/browser/test_accessibility.py), as each widget appears. Dash's
// bundles are not ours to patch; every repair below keeps the widget's own behaviour.
//
// - RadioItems and Checklist are drawn as a role=listbox of role=option labels around real
//   radio buttons and checkboxes (nested interactive controls, a list box without a name). The
//   inputs are the controls: the roles go, and the group is named by the <fieldset> around it
//   (dashboard/layout.py).
// - Dropdown puts an aria-hidden but focusable <input> before its button, which forwards focus
//   to the button (tabindex -1). The input is made inert and the button takes the Tab stop
//   itself; the <label for> of layout.py names the button, and its open list too. (Each option
//   of that list is a <label> around a radio button of its own: nested, but made inert or
//   disabled it would take the label's click with it; left as it is.)
// - Slider's thumb (role=slider) has no name: the text of the label around it names it.
// - Upload's file input has no name: the texts of its drop zone name it.
// Names point at the label's text element (aria-labelledby), so they follow the language.

function repairWidgets(root) {
  // (a Dropdown's menu is a real list box: its options keep their roles)
  root.querySelectorAll(".dash-radioitems[role], .dash-checklist[role]").forEach(function (list) {
    list.removeAttribute("role");
  });
  // React sets these again on an option it redraws (another choice, another language)
  root.querySelectorAll(":is(.dash-radioitems, .dash-checklist) > :is([role], [aria-selected])")
    .forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
  root.querySelectorAll("input.dash-dropdown-focus-target:not([inert])").forEach(function (proxy) {
    proxy.inert = true;
    const button = proxy.nextElementSibling;
    if (button && button.tagName === "BUTTON" && !button.disabled) button.tabIndex = 0;
  });
  root.querySelectorAll(".dash-dropdown-content [role=listbox]:not([aria-labelledby])").forEach(function (list) {
    const popup = list.closest(".dash-dropdown-content");
    const trigger = popup.id && document.querySelector('button[aria-controls="' + CSS.escape(popup.id) + '"]');
    const label = trigger && trigger.id && document.querySelector('label[for="' + CSS.escape(trigger.id) + '"]');
    nameBy(list, label && (label.firstElementChild || label));
  });
  root.querySelectorAll("label [role=slider]:not([aria-labelledby])").forEach(function (thumb) {
    nameBy(thumb, thumb.closest("label").firstElementChild);
  });
  root.querySelectorAll("input[type=file]:not([aria-labelledby])").forEach(function (input) {
    const texts = Array.from(input.parentElement.querySelectorAll("span[id]"), function (span) { return span.id; });
    if (texts.length) input.setAttribute("aria-labelledby", texts.join(" "));
  });
}

function nameBy(element, text) {
  if (text && text.id) element.setAttribute("aria-labelledby", text.id);
}

// The map's thousands of paths change on every draw: those changes are not looked at.
const inMap = (record) => record.target.closest && record.target.closest(".js-plotly-plot");
new MutationObserver(function (records) { if (!records.every(inMap)) repairWidgets(document); })
  .observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                      attributeFilter: ["role", "aria-selected"]});
