// The moderator console's script: keyboard shortcuts, decisions with feedback and undo, confirmations,
// select-many and the word-list test box. No inline script anywhere (CSP), no build step. Its text comes
// from the page (#console-text, the console's translation table), so it speaks the console's language.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var text = {};
  var current = -1;
  var UNDO_ACTION = { held: "hold", pending: "hold", approved: "approve", rejected: "reject" };

  function say(key, params) {
    var message = text[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      message = message.split("{" + name + "}").join(String(params[name]));
    });
    return message;
  }

  function statusName(status) { return text[status] || status; }

  // --- Messages: one short line in the page's live region, sometimes with an undo button ---

  function notify(message, kind, undo) {
    var region = document.getElementById("messages");
    if (!region) { return; }
    region.textContent = "";
    var line = document.createElement("p");
    line.className = "message " + (kind || "ok");
    line.textContent = message;
    if (undo) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "undo";
      button.textContent = say("undo");
      button.addEventListener("click", function () { button.disabled = true; undo(); });
      line.appendChild(document.createTextNode(" "));
      line.appendChild(button);
    }
    region.appendChild(line);
  }

  // --- Dialogs: the shortcut help and confirmations, both real <dialog> elements ---

  var opener = null;

  function openDialog(dialog) {
    opener = document.activeElement;
    dialog.showModal();
  }

  function closeDialog(dialog) {
    if (dialog.open) { dialog.close(); }
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog) { return; }
    if (dialog.open) { closeDialog(dialog); } else { openDialog(dialog); }
  }

  var confirmed = null;

  function confirmThen(message, action) {
    var dialog = document.getElementById("confirm");
    if (!dialog) { action(); return; }
    dialog.querySelector("#confirm-message").textContent = message;
    confirmed = action;
    openDialog(dialog);
    dialog.querySelector("[data-close]").focus();  // the safe choice has the focus
  }

  // --- The queue ---

  function items() { return Array.prototype.slice.call(document.querySelectorAll("ol.queue > li.item:not(.decided)")); }

  function select(index) {
    var list = items();
    document.querySelectorAll("ol.queue > li.item.current").forEach(unmark);
    if (!list.length) { current = -1; return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    var item = list[current];
    item.classList.add("current");
    item.setAttribute("aria-current", "true");
    if (!item.querySelector(".current-marker")) {
      var marker = document.createElement("span");
      marker.className = "current-marker";
      marker.textContent = say("selected_item");
      var meta = item.querySelector(".meta");
      (meta || item).insertBefore(marker, (meta || item).firstChild);
    }
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function unmark(item) {
    item.classList.remove("current");
    item.removeAttribute("aria-current");
    var marker = item.querySelector(".current-marker");
    if (marker) { marker.remove(); }
  }

  function currentItem() { var list = items(); return current >= 0 ? list[current] || null : null; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, body: data };
      });
    });
  }

  function errorMessage(id, body) {
    var error = (body && body.error) || {};
    if (error.code === "stale_decision") {
      return say("stale_decision", { id: id, status: statusName(error.current_status) });
    }
    // The API's own message is English; the page's table says it in the console's language, by code.
    if (error.code && text["error_" + error.code]) { return say("error_" + error.code); }
    return error.message || say("network_error");
  }

  function showOutcome(item, status) {
    ["approved", "rejected", "deleted", "held", "pending"].forEach(function (s) { item.classList.remove("outcome-" + s); });
    var label = item.querySelector(".outcome");
    if (status === null) {
      item.classList.remove("decided");
      if (label) { label.remove(); }
      return;
    }
    item.classList.add("decided", "outcome-" + status);
    if (!label) {
      label = document.createElement("span");
      label.className = "outcome";
      var meta = item.querySelector(".meta");
      (meta || item).insertBefore(label, (meta || item).firstChild);
    }
    label.textContent = statusName(status);
  }

  function showError(item, message) {
    var note = item.querySelector("p.error") || document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = message;
    item.appendChild(note);
  }

  function decide(item, action) {
    if (!item) { notify(say("select_first"), "error"); return; }
    var id = item.getAttribute("data-id");
    var previous = item.getAttribute("data-status");
    function send() {
      item.classList.add("busy");
      post("/api/moderation/comments/" + encodeURIComponent(id) + "/" + action, { expected_status: previous })
        .then(function (result) {
          item.classList.remove("busy");
          if (result.ok) {
            var status = result.body.status;
            var wasCurrent = item.classList.contains("current");
            var index = items().indexOf(item);
            unmark(item);
            item.setAttribute("data-status", status);
            showOutcome(item, status);
            // Undo where it is safe: not after a delete, and only while nobody has changed it since.
            var undo = UNDO_ACTION[previous] && status !== "deleted" ? function () { restore(item, previous, status); } : null;
            notify(say("decided_" + status, { id: id }), "ok", undo);
            if (wasCurrent) { select(index); } else { current = items().indexOf(document.querySelector("ol.queue > li.item.current")); }
          } else {
            var message = errorMessage(id, result.body);
            if (result.body.error && result.body.error.code === "stale_decision") {
              item.setAttribute("data-status", result.body.error.current_status);
              unmark(item);
              showOutcome(item, result.body.error.current_status);
              item.classList.add("stale");
            }
            showError(item, message);
            notify(message, "error");
          }
        }).catch(function () { item.classList.remove("busy"); notify(say("network_error"), "error"); });
    }
    if (action === "delete") { confirmThen(say("confirm_delete", { id: id }), send); } else { send(); }
  }

  function restore(item, previous, status) {
    var id = item.getAttribute("data-id");
    post("/api/moderation/comments/" + encodeURIComponent(id) + "/" + UNDO_ACTION[previous], { expected_status: status })
      .then(function (result) {
        if (result.ok) {
          item.setAttribute("data-status", result.body.status);
          showOutcome(item, null);
          notify(say("undone", { id: id, status: statusName(result.body.status) }), "ok");
        } else {
          notify(errorMessage(id, result.body), "error");
        }
      }).catch(function () { notify(say("network_error"), "error"); });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector("dialog[open]")) {
      if (event.key === "?") { toggleHelp(); event.preventDefault(); }
      return;  // a dialog is open: its own keys only (Escape closes it)
    }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var key = event.key;
    if (key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (!document.querySelector("ol.queue > li.item")) { return; }
    if (key === "j") { select(current + 1); }
    else if (key === "k") { select(Math.max(current - 1, 0)); }
    else if (key === "a") { decide(currentItem(), "approve"); }
    else if (key === "r") { decide(currentItem(), "reject"); }
    else if (key === "x") {
      var box = currentItem() && currentItem().querySelector('input[type="checkbox"]');
      if (box) { box.checked = !box.checked; } else { notify(say("select_first"), "error"); }
    } else if (key === "b") {
      var ban = currentItem() && currentItem().querySelector("a.ban");
      if (ban) { window.location.href = ban.href; } else { notify(say("select_first"), "error"); }
    } else { return; }
    event.preventDefault();
  });

  // --- The word list's test box: run and wait without reloading the page ---

  function runTest(form) {
    var box = document.getElementById("test-result");
    var data = new URLSearchParams(new FormData(form));
    box.innerHTML = "";
    var waiting = document.createElement("p");
    waiting.className = "muted waiting";
    waiting.textContent = say("test_waiting");
    box.appendChild(waiting);
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: data,
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("test"); }
      return response.json();
    }).then(function (job) {
      var tries = 0;
      function poll() {
        fetch(job.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (result) {
            if (result.state === "waiting" && tries++ < 120) { window.setTimeout(poll, 1000); return; }
            // Drawn by the server's template, with every piece of comment text escaped there.
            box.innerHTML = result.html;
          }).catch(function () { box.textContent = say("network_error"); });
      }
      poll();
    }).catch(function () { box.textContent = say("network_error"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("console-text");
    if (table) { try { text = JSON.parse(table.textContent); } catch (err) { text = {}; } }

    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
    document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
      button.addEventListener("click", function () { toggleHelp(); });
    });
    document.querySelectorAll("dialog").forEach(function (dialog) {
      dialog.querySelectorAll("[data-close]").forEach(function (button) {
        button.addEventListener("click", function () { closeDialog(dialog); });
      });
      dialog.addEventListener("close", function () {
        if (opener && opener.focus && document.contains(opener)) { opener.focus({ preventScroll: true }); }
        opener = null;
      });
    });
    var confirmDialog = document.getElementById("confirm");
    if (confirmDialog) {
      confirmDialog.querySelector("[data-confirm-yes]").addEventListener("click", function () {
        var action = confirmed;
        confirmed = null;
        closeDialog(confirmDialog);
        if (action) { action(); }
      });
      confirmDialog.addEventListener("close", function () { confirmed = null; });
    }

    // Forms and buttons marked data-confirm ask first (deletes, word removals). Delegated, so that queue
    // items the live queue adds later (console_live.js) behave as the first ones do.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var item = form.closest("ol.queue > li.item");
      var action = submitter && submitter.getAttribute("data-action");
      if (item && (action === "approve" || action === "reject" || action === "delete")) {
        event.preventDefault();  // decided through the moderation API, with the outcome shown in place
        decide(item, action);
        return;
      }
      var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (message && form.getAttribute("data-confirmed") !== "1") {
        event.preventDefault();
        confirmThen(message, function () {
          form.setAttribute("data-confirmed", "1");
          form.requestSubmit(submitter || undefined);
        });
      }
    });

    var testForm = document.getElementById("test-form");
    if (testForm && document.getElementById("test-result")) {
      testForm.addEventListener("submit", function (event) { event.preventDefault(); runTest(testForm); });
      // A result still on its way when the page was drawn (no script then) is waited for here too.
      var waiting = document.querySelector('#test-result .test-result[data-state="waiting"] a');
      if (waiting) {
        var params = new URLSearchParams(new URL(waiting.href).search);
        var box = document.getElementById("test-result");
        (function poll() {
          fetch("/console/words/test/" + encodeURIComponent(params.get("preview")) + "?site=" +
                encodeURIComponent(params.get("site")), { credentials: "same-origin", headers: { "Accept": "application/json" } })
            .then(function (response) { return response.json(); })
            .then(function (result) {
              if (result.state === "waiting") { window.setTimeout(poll, 1000); return; }
              box.innerHTML = result.html;
            });
        })();
      }
    }

    // Typing a number of hours chooses "for hours"; "permanent" stays an explicit choice.
    var hours = document.querySelector('.ban-form input[name="hours"]');
    if (hours) {
      hours.addEventListener("input", function () {
        var radio = document.querySelector('.ban-form input[name="duration"][value="hours"]');
        if (radio && hours.value) { radio.checked = true; }
      });
    }

    document.addEventListener("click", function (event) {
      var el = event.target.closest("ol.queue > li.item");
      if (!el || event.target.closest("a, button, input, textarea, select, summary, label")) { return; }
      var index = items().indexOf(el);
      if (index >= 0) { select(index); }
    });
  });
})();
