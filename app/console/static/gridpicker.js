/* Grid picker: turns <span data-grid-picker><select>…</select></span> into a tree of the grid
   with a search by name. Without JavaScript the select stays, its names indented by depth.
   Each <option> carries data-depth, data-parent (the parent's code) and data-level (in words).
   No library, no network. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function enhance(box) {
    var select = box.querySelector("select");
    if (!select || box.dataset.ready) return;
    box.dataset.ready = "1";
    var options = Array.prototype.slice.call(select.options);
    var nodes = options.filter(function (o) { return o.value; }).map(function (o) {
      return { code: o.value, name: o.dataset.name || o.textContent.trim(), parent: o.dataset.parent || "",
               level: o.dataset.level || "", option: o, children: [] };
    });
    var byCode = {};
    nodes.forEach(function (n) { byCode[n.code] = n; });
    var roots = [];
    nodes.forEach(function (n) { (byCode[n.parent] ? byCode[n.parent].children : roots).push(n); });

    var toggle = el("button", { type: "button", "class": "picker-toggle", "aria-expanded": "false" });
    var panel = el("div", { "class": "picker-panel", hidden: "" });
    var search = el("input", { type: "search", "class": "picker-search",
                               placeholder: select.dataset.searchLabel || "",
                               "aria-label": select.dataset.searchLabel || "" });
    var tree = el("ul", { "class": "picker-tree", role: "list" });
    panel.appendChild(search);
    panel.appendChild(tree);
    var empty = options.filter(function (o) { return !o.value; })[0];

    function label() {
      var chosen = select.options[select.selectedIndex];
      toggle.textContent = chosen && chosen.value ? byCode[chosen.value].name : (empty ? empty.textContent : "—");
    }

    function choose(code) {
      select.value = code;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      label();
      close();
      toggle.focus();
    }

    function item(n) {
      var li = el("li", { "data-code": n.code });
      var row = el("div", { "class": "picker-row" });
      var twist = el("button", { type: "button", "class": "picker-twist", "aria-label": n.name });
      if (n.children.length) {
        twist.setAttribute("aria-expanded", "false");
        twist.addEventListener("click", function () {
          twist.setAttribute("aria-expanded", String(li.classList.toggle("open")));
        });
      } else {
        twist.disabled = true;
        twist.textContent = "·";
      }
      var pick = el("button", { type: "button", "class": "picker-choose", "data-code": n.code });
      pick.textContent = n.name;
      if (n.level) pick.appendChild(el("small", {}, " " + n.level));
      pick.addEventListener("click", function () { choose(n.code); });
      row.appendChild(twist);
      row.appendChild(pick);
      li.appendChild(row);
      if (n.children.length) {
        var ul = el("ul", { role: "list" });
        n.children.forEach(function (c) { ul.appendChild(item(c)); });
        li.appendChild(ul);
      }
      n.li = li;
      return li;
    }
    roots.forEach(function (n) { tree.appendChild(item(n)); });
    var none = null;
    if (empty) {
      none = el("li", {});
      var b = el("button", { type: "button", "class": "picker-choose" }, empty.textContent);
      b.addEventListener("click", function () { choose(""); });
      none.appendChild(b);
      tree.insertBefore(none, tree.firstChild);
    }
    roots.forEach(function (n) { if (roots.length === 1) n.li.classList.add("open"); });

    function filter() {
      var q = search.value.trim().toLowerCase();
      if (none) none.hidden = !!q;
      nodes.forEach(function (n) { n.li.hidden = !!q; n.li.classList.remove("match"); });
      if (!q) {
        nodes.forEach(function (n) { n.li.classList.remove("found"); });
        return;
      }
      nodes.forEach(function (n) {
        if (n.name.toLowerCase().indexOf(q) < 0 && n.code.toLowerCase() !== q) return;
        n.li.classList.add("match");
        for (var a = n; a; a = byCode[a.parent]) { a.li.hidden = false; a.li.classList.add("found", "open"); }
      });
    }
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        var first = tree.querySelector("li.match > .picker-row .picker-choose");
        if (first) first.click();
      } else if (e.key === "Escape") { close(); toggle.focus(); }
    });

    function open() {
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      search.focus();
    }
    function close() {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    }
    toggle.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
    document.addEventListener("click", function (e) { if (!box.contains(e.target)) close(); });

    select.hidden = true;
    select.setAttribute("tabindex", "-1");
    box.appendChild(toggle);
    box.appendChild(panel);
    label();
  }

  function all() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grid-picker]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
