// The live queue: every few seconds ask the console what changed, so two moderators can work one queue.
// Comments another moderator decided fold away with a note saying who did what; new comments that match
// the queue's filters are added at its end. The queue's own script (console.js) handles the new items'
// buttons and keys, as it handles the first ones. Text comes from the page's table (#console-text).
(function () {
  "use strict";
  var INTERVAL = 4000;
  var text = {};

  function say(key, params) {
    var message = text[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      message = message.split("{" + name + "}").join(String(params[name]));
    });
    return message;
  }

  function announce(message) {
    var region = document.getElementById("messages");
    if (!region) { return; }
    region.textContent = "";
    var line = document.createElement("p");
    line.className = "message live";
    line.textContent = message;
    region.appendChild(line);
  }

  function shown(list) {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > li.item"));
  }

  function fold(item, state) {
    // Decided elsewhere: what the moderator was reading folds into one line, so nobody decides it twice.
    item.classList.add("gone", "decided");
    item.classList.remove("current");
    item.setAttribute("data-status", state.status);
    var note = document.createElement("p");
    note.className = "live-note";
    note.setAttribute("role", "status");
    var status = text[state.status] || state.status;
    note.textContent = state.by ? say("live_decided", { id: state.id, status: status, by: state.by })
                                : say("live_decided_anon", { id: state.id, status: status });
    item.appendChild(note);
    item.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = false; box.disabled = true; });
  }

  function addNewer(list, after) {
    var url = new URL(window.location.href);
    url.searchParams.set("after", String(after));
    url.hash = "";
    return fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var here = window.location.pathname + window.location.search;
        var added = 0;
        page.querySelectorAll("ol.queue > li.item").forEach(function (fresh) {
          if (document.getElementById(fresh.id)) { return; }
          // Its forms come back to this queue, not to the page of newer comments the item was drawn for.
          fresh.querySelectorAll('input[name="next"]').forEach(function (input) { input.value = here; });
          fresh.classList.add("arrived");
          list.appendChild(document.importNode(fresh, true));
          added += 1;
        });
        if (added) {
          var empty = document.querySelector("p.empty");
          if (empty) { empty.hidden = true; }
          announce(say("live_new", { count: added }));
        }
      });
  }

  function poll(list) {
    var items = shown(list);
    var ids = items.filter(function (item) { return !item.classList.contains("gone"); })
                   .map(function (item) { return item.getAttribute("data-id"); });
    var after = items.reduce(function (high, item) { return Math.max(high, Number(item.getAttribute("data-id"))); }, 0);
    var url = list.getAttribute("data-live");
    url += (url.indexOf("?") >= 0 ? "&" : "?") + "after=" + after + "&ids=" + ids.join(",");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (changes) {
        if (!changes) { return null; }
        (changes.decided || []).forEach(function (state) {
          var item = document.getElementById("c" + state.id);
          // This tab's own decision already shows its outcome (console.js set data-status).
          if (item && !item.classList.contains("gone") && item.getAttribute("data-status") !== state.status) {
            fold(item, state);
          }
        });
        // A queue with a next page has newer comments on that page already: they are not added here.
        if (changes.newer && list.getAttribute("data-more") !== "1") { return addNewer(list, after); }
        return null;
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("ol.queue[data-live]");
    if (!list) { return; }
    try { text = JSON.parse(document.getElementById("console-text").textContent); } catch (e) { text = {}; }
    var busy = false;
    window.setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      poll(list).catch(function () { return null; }).then(function () { busy = false; });
    }, Number(list.getAttribute("data-interval")) || INTERVAL);
  });
})();
