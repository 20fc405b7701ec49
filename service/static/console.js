// The moderator console's keyboard shortcuts and select-many. No inline script anywhere (CSP), no build step.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var current = -1;

  function items() { return Array.prototype.slice.call(document.querySelectorAll("ol.queue > li.item:not(.decided)")); }

  function select(index) {
    var list = items();
    if (!list.length) { current = -1; return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (el, i) { el.classList.toggle("current", i === current); });
    list[current].focus({ preventScroll: true });
    list[current].scrollIntoView({ block: "nearest" });
  }

  function currentItem() { var list = items(); return current >= 0 ? list[current] : null; }

  function decide(action) {
    var item = currentItem();
    if (!item) { return; }
    var id = item.getAttribute("data-id");
    item.classList.add("busy");
    fetch("/api/moderation/comments/" + encodeURIComponent(id) + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      item.classList.remove("busy");
      if (result.ok) {
        item.classList.add("decided", result.body.status);
        item.classList.remove("current");
        item.setAttribute("data-status", result.body.status);
        select(current);
      } else {
        showError(item, (result.body.error && result.body.error.message) || "error");
      }
    }).catch(function () { item.classList.remove("busy"); showError(item, "network error"); });
  }

  function showError(item, message) {
    var note = item.querySelector(".error") || document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = message;
    item.appendChild(note);
  }

  function toggleHelp(force) {
    var dialog = document.getElementById("shortcuts");
    if (dialog) { dialog.hidden = force === undefined ? !dialog.hidden : !force; }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var key = event.key;
    if (key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (key === "Escape") { toggleHelp(false); return; }
    if (!items().length) { return; }
    if (key === "j") { select(current + 1); }
    else if (key === "k") { select(current - 1); }
    else if (key === "a") { if (current < 0) { select(0); } decide("approve"); }
    else if (key === "r") { if (current < 0) { select(0); } decide("reject"); }
    else if (key === "x") {
      var box = currentItem() && currentItem().querySelector('input[type="checkbox"]');
      if (box) { box.checked = !box.checked; }
    } else if (key === "b") {
      var ban = currentItem() && currentItem().querySelector("a.ban");
      if (ban) { window.location.href = ban.href; }
    } else { return; }
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
    document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
      button.addEventListener("click", function () { toggleHelp(); });
    });
    document.querySelectorAll("ol.queue > li.item").forEach(function (el, i) {
      el.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input")) { return; }
        select(items().indexOf(el));
      });
    });
  });
})();
