// The staff inbox list (/inbox/): live rows and the keyboard.
//  - Live: a `conversation.changed` event or a fresh `unread` snapshot on /ws/notifications/ (sent on
//    every (re)connect and whenever a badge changes) refetches the rows for the current filters from
//    /inbox/rows/, so a conversation with a new message moves to the top and a reconnect resyncs.
//    Only the first page is live (older pages keep their place).
//  - Keys: j/k move, Enter open, r open and reply, e resolve, / search, ? the list of keys.
(function () {
  "use strict";
  var root = document.querySelector("[data-inbox-list]");
  var holder = document.querySelector("[data-inbox-rows-holder]");
  if (!root || !holder) return;
  var params = new URLSearchParams(window.location.search);
  var live = !params.has("after");
  params.delete("after");
  var rowsUrl = root.getAttribute("data-rows-url") + (params.toString() ? "?" + params.toString() : "");
  var selectedId = null;
  var inFlight = false;
  var again = false;

  function rows() {
    return Array.prototype.slice.call(holder.querySelectorAll("[data-conversation-id]"));
  }

  function select(row, focus) {
    rows().forEach(function (r) {
      r.classList.toggle("is-selected", r === row);
    });
    selectedId = row ? row.getAttribute("data-conversation-id") : null;
    if (row && focus) {
      var link = row.querySelector("a.person-name");
      if (link) link.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function selectedRow() {
    var all = rows();
    for (var i = 0; i < all.length; i += 1) {
      if (all[i].getAttribute("data-conversation-id") === selectedId) return all[i];
    }
    return null;
  }

  function refresh() {
    if (!live) return;
    if (inFlight) {
      again = true; // one more fetch after this one: never miss the latest change
      return;
    }
    inFlight = true;
    fetch(rowsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("rows " + response.status);
        return response.text();
      })
      .then(function (html) {
        var focused = document.activeElement && holder.contains(document.activeElement);
        holder.innerHTML = html;
        if (window.clubtime) window.clubtime.render(holder);
        var row = selectedRow();
        if (row) select(row, focused);
        document.body.setAttribute("data-inbox-refreshed", String(Date.now()));
      })
      .catch(function () {
        /* the next event or reconnect snapshot fetches again */
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  document.addEventListener("clubroom:unread", refresh);
  document.addEventListener("clubroom:event", function (event) {
    if (event.detail && event.detail.type === "conversation.changed") refresh();
  });

  // --- keyboard -----------------------------------------------------------------------------------
  var help = document.getElementById("inbox-help");
  var search = document.querySelector("[data-inbox-search]");

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(selectedRow());
    var next = index === -1 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next], true);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target === search) search.blur();
      return;
    }
    if (help && help.open) return; // the dialog handles its own keys (Escape closes it)
    var row = selectedRow();
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "Enter":
        if (!row || event.target.tagName === "A" || event.target.tagName === "BUTTON") return;
        window.location.href = row.getAttribute("data-url");
        break;
      case "r":
        if (!row) return;
        window.location.href = row.getAttribute("data-url") + "#reply";
        break;
      case "e":
        var form = row && row.querySelector("form[data-resolve]");
        if (!form) return;
        form.submit();
        break;
      case "/":
        if (!search) return;
        search.focus();
        search.select();
        break;
      case "?":
        if (help && typeof help.showModal === "function") help.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  holder.addEventListener("focusin", function (event) {
    var row = event.target.closest("[data-conversation-id]");
    if (row) select(row, false);
  });
})();
