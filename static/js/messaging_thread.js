// A conversation page made live. New, edited and deleted messages and "Seen" arrive over
// /ws/messages/<id>/; the reply form posts through the API without a reload; the page opens at the
// newest message and keeps its place while older ones load. The server renders ISO timestamps and
// this script formats every time and day label, on both paths, in the viewer's local time.
// Without JavaScript the page works as plain forms and links.
(function () {
  "use strict";
  var root = document.querySelector("[data-thread-socket]");
  if (!root || !window.fetch) return;

  var scroller = root.querySelector("[data-scroller]");
  var list = root.querySelector("[data-thread-messages]");
  var typing = root.querySelector("[data-typing]");
  var form = root.querySelector("[data-reply-form]");
  var errorBox = root.querySelector("[data-reply-error]");
  var jump = root.querySelector("[data-jump]");
  var announce = root.querySelector("[data-announce]");
  var disabledNotice = root.querySelector("[data-disabled-notice]");
  var textarea = form ? form.querySelector("textarea[name=body]") : null;
  var counter = root.querySelector("[data-counter]");
  var bodyMax = Number(root.dataset.bodyMax) || 5000;
  var editWindowMs = (Number(root.dataset.editWindow) || 900) * 1000;
  var receipts = root.dataset.receipts === "1";
  var attempt = 0;
  var typingTimer = null;
  var lastTypingSent = 0;
  var socket = null;
  var unseenBelow = 0;
  var messagingOn = true;

  // --- small helpers ------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function api(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ Accept: "application/json", "X-CSRFToken": csrfToken() }, options.headers || {});
    return fetch(url, options);
  }

  function messageUrl(id) {
    return root.dataset.apiMessage.replace(/0\/$/, id + "/");
  }

  function items() {
    return list.querySelectorAll("li[data-message-id]");
  }

  function lastId() {
    var all = items();
    return all.length ? Number(all[all.length - 1].dataset.messageId) : 0;
  }

  function say(text) {
    if (announce) announce.textContent = text;
  }

  // --- times and day labels (one format for server-rendered and live messages) ---------------

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date)) return iso;
    return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function dayKey(date) {
    return date.getFullYear() + "-" + (date.getMonth() + 1) + "-" + date.getDate();
  }

  function dayLabel(date) {
    var today = new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(date) === dayKey(today)) return "Today";
    if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
    if (date.getFullYear() === today.getFullYear()) {
      return date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" }).replace(",", "");
    }
    return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  }

  function formatTimes(scope) {
    scope.querySelectorAll("time[data-time]").forEach(function (node) {
      node.textContent = formatTime(node.getAttribute("datetime"));
      node.title = new Date(node.getAttribute("datetime")).toLocaleString();
    });
  }

  // Day separators are rebuilt from the messages themselves, so loading older ones or a live
  // message after midnight always leaves exactly one label per local day.
  function renderDays() {
    list.querySelectorAll("li.dm-day").forEach(function (node) { node.remove(); });
    var previous = null;
    items().forEach(function (item) {
      var date = new Date(item.dataset.createdAt);
      if (isNaN(date)) return;
      var key = dayKey(date);
      if (key === previous) return;
      previous = key;
      var label = document.createElement("li");
      label.className = "dm-day";
      label.dataset.day = key;
      label.textContent = dayLabel(date);
      var before = item.previousElementSibling;
      // A "new messages" divider right above the first message of a day stays below the day label.
      list.insertBefore(label, before && before.classList.contains("dm-divider") ? before : item);
    });
  }

  // --- scrolling ----------------------------------------------------------------------------

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  }

  function scrollToLatest() {
    scroller.scrollTop = scroller.scrollHeight;
    unseenBelow = 0;
    if (jump) jump.hidden = true;
  }

  function showJump() {
    if (!jump) return;
    jump.textContent = unseenBelow
      ? unseenBelow + " new message" + (unseenBelow === 1 ? "" : "s") + " ↓"
      : "Jump to latest ↓";
    jump.hidden = false;
  }

  scroller.addEventListener("scroll", function () {
    if (atBottom()) {
      unseenBelow = 0;
      if (jump) jump.hidden = true;
      if (document.visibilityState === "visible" && lastId() > readUpTo) markRead();
    } else if (jump && jump.hidden) {
      showJump();
    }
    if (scroller.scrollTop < 60) loadEarlier();
  });
  if (jump) jump.addEventListener("click", function () {
    if (root.dataset.historical) {
      window.location.href = root.dataset.historical;
      return;
    }
    scrollToLatest();
    if (textarea && !textarea.disabled) textarea.focus();
  });

  // --- older messages keep the reader's place -----------------------------------------------

  var loadingEarlier = false;

  function loadEarlier(event) {
    var link = scroller.querySelector("[data-earlier]");
    if (!link || loadingEarlier) return;
    if (event) event.preventDefault();
    loadingEarlier = true;
    fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var older = page.querySelectorAll("[data-thread-messages] > li[data-message-id]");
        var firstId = items().length ? Number(items()[0].dataset.messageId) : Infinity;
        var anchorHeight = scroller.scrollHeight;
        var anchorTop = scroller.scrollTop;
        var fragment = document.createDocumentFragment();
        older.forEach(function (item) {
          if (Number(item.dataset.messageId) < firstId) fragment.append(document.importNode(item, true));
        });
        formatTimes(fragment);
        prepareActions(fragment);
        list.prepend(fragment);
        var nextLink = page.querySelector("[data-earlier]");
        if (nextLink) link.href = nextLink.getAttribute("href");
        else link.parentNode.remove();
        renderDays();
        placeSeen();
        // Keep the message that was on screen exactly where it was.
        scroller.scrollTop = anchorTop + (scroller.scrollHeight - anchorHeight);
      })
      .finally(function () { loadingEarlier = false; });
  }

  var earlierLink = scroller.querySelector("[data-earlier]");
  if (earlierLink) earlierLink.addEventListener("click", loadEarlier);

  // --- one message --------------------------------------------------------------------------

  function actionsFor(message, mine) {
    var details = document.createElement("details");
    details.className = "dm-actions";
    details.dataset.actions = "";
    var summary = document.createElement("summary");
    summary.setAttribute("aria-label", "Actions for this message");
    summary.textContent = "⋯";
    var menu = document.createElement("ul");
    var entry = document.createElement("li");
    if (mine) {
      var edit = document.createElement("a");
      edit.href = "/messages/message/" + message.id + "/edit/";
      edit.dataset.action = "edit";
      edit.textContent = "Edit";
      entry.append(edit);
      menu.append(entry);
      entry = document.createElement("li");
      var del = document.createElement("form");
      del.method = "post";
      del.action = "/messages/message/" + message.id + "/delete/";
      del.dataset.action = "delete";
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "link";
      button.textContent = "Delete";
      del.append(button);
      entry.append(del);
    } else {
      var report = document.createElement("a");
      report.href = "/messages/report/" + message.id + "/";
      report.textContent = "Report";
      entry.append(report);
    }
    menu.append(entry);
    details.append(summary, menu);
    return details;
  }

  function setBody(item, message) {
    var body = item.querySelector("[data-body]");
    var meta = item.querySelector(".dm-meta");
    var edited = item.querySelector("[data-edited]");
    var actions = item.querySelector("[data-actions]");
    if (message.deleted) {
      item.classList.add("is-deleted");
      body.className = "message-body dm-deleted";
      body.replaceChildren();
      var note = document.createElement("em");
      note.textContent = "Message deleted";
      body.append(note);
      if (edited) edited.remove();
      if (actions) actions.remove();
      var box = item.querySelector(".dm-edit-box");
      if (box) box.remove();
      body.hidden = false;
      return;
    }
    body.textContent = message.body; // always text, never HTML
    if (message.edited_at && !edited) {
      edited = document.createElement("span");
      edited.className = "dm-edited";
      edited.dataset.edited = "";
      edited.textContent = "(edited)";
      meta.append(" ", edited);
    }
  }

  function buildItem(message, mine) {
    var item = document.createElement("li");
    item.id = "m" + message.id;
    item.className = "dm-message" + (mine ? " is-mine" : "");
    item.dataset.messageId = String(message.id);
    item.dataset.createdAt = message.created_at;
    if (mine) item.dataset.mine = "";
    var meta = document.createElement("div");
    meta.className = "dm-meta muted";
    var who = document.createElement("strong");
    who.textContent = mine ? "You" : message.sender.name;
    var when = document.createElement("time");
    when.dateTime = message.created_at;
    when.dataset.time = "";
    meta.append(who, " · ", when);
    var body = document.createElement("div");
    body.className = "message-body";
    body.dataset.body = "";
    item.append(meta, body);
    if (!message.deleted) item.append(actionsFor(message, mine));
    setBody(item, message);
    formatTimes(item);
    prepareActions(item);
    return item;
  }

  function append(message, mine) {
    if (root.dataset.historical) {
      // An older stretch of the conversation is on screen: offer the way to the latest instead.
      if (jump && !mine) {
        unseenBelow += 1;
        showJump();
      }
      return;
    }
    var existing = list.querySelector('li[data-message-id="' + message.id + '"]');
    if (existing) {
      setBody(existing, message);
      return;
    }
    var empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    var stick = atBottom() || mine;
    list.append(buildItem(message, mine));
    renderDays();
    if (stick) {
      scrollToLatest();
    } else {
      unseenBelow += 1;
      showJump();
    }
    if (!mine) say(message.sender.name + ": " + message.body);
  }

  // --- "Seen" -------------------------------------------------------------------------------

  var seenUpTo = Number(root.dataset.seenUpTo) || 0;

  function placeSeen() {
    var old = list.querySelector("[data-seen]");
    if (old) old.remove();
    if (!receipts || !seenUpTo) return;
    var mine = list.querySelectorAll("li[data-message-id][data-mine]");
    for (var i = mine.length - 1; i >= 0; i -= 1) {
      if (Number(mine[i].dataset.messageId) <= seenUpTo) {
        var marker = document.createElement("div");
        marker.className = "dm-seen";
        marker.dataset.seen = "";
        marker.textContent = "Seen";
        mine[i].append(marker);
        return;
      }
    }
  }

  function setSeen(messageId) {
    if (!receipts || messageId <= seenUpTo) return;
    seenUpTo = messageId;
    placeSeen();
  }

  // --- the per-message menu: one Tab stop for the whole list, arrows move between messages ----

  function menus() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-actions] > summary"));
  }

  function rovingReset() {
    var all = menus();
    var current = all.filter(function (s) { return s.tabIndex === 0; });
    all.forEach(function (s) { s.tabIndex = -1; });
    var keep = current.length ? current[current.length - 1] : all[all.length - 1];
    if (keep) keep.tabIndex = 0;
  }

  function prepareActions(scope) {
    scope.querySelectorAll("[data-actions] > summary").forEach(function (s) { s.tabIndex = -1; });
  }

  list.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-actions] > summary")) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    var all = menus();
    var index = all.indexOf(event.target) + (event.key === "ArrowUp" ? -1 : 1);
    if (index < 0 || index >= all.length) return;
    event.preventDefault();
    all.forEach(function (s) { s.tabIndex = -1; });
    all[index].tabIndex = 0;
    all[index].focus();
  });

  list.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open) return;
    // Another open menu closes; Edit disappears once the edit window has passed.
    list.querySelectorAll("[data-actions][open]").forEach(function (other) {
      if (other !== details) other.open = false;
    });
    var item = details.closest("li[data-message-id]");
    var edit = details.querySelector('[data-action="edit"]');
    if (edit && Date.now() - new Date(item.dataset.createdAt).getTime() > editWindowMs) edit.parentNode.remove();
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = list.querySelector("[data-actions][open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });

  // --- edit and delete in place -------------------------------------------------------------

  function startEdit(item) {
    if (item.querySelector(".dm-edit-box")) return;
    var body = item.querySelector("[data-body]");
    var box = document.createElement("form");
    box.className = "dm-edit-box";
    var label = document.createElement("label");
    label.className = "visually-hidden";
    label.htmlFor = "edit-" + item.dataset.messageId;
    label.textContent = "Edit your message";
    var field = document.createElement("textarea");
    field.id = "edit-" + item.dataset.messageId;
    field.rows = 3;
    field.value = body.textContent;
    var error = document.createElement("p");
    error.className = "form-errors";
    error.setAttribute("role", "alert");
    error.hidden = true;
    var save = document.createElement("button");
    save.type = "submit";
    save.className = "btn btn-primary";
    save.textContent = "Save";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn";
    cancel.textContent = "Cancel";
    box.append(label, field, error, save, " ", cancel);
    body.hidden = true;
    body.after(box);
    field.focus();

    function close() {
      box.remove();
      body.hidden = false;
    }
    cancel.addEventListener("click", close);
    field.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close();
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        box.requestSubmit();
      }
    });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      if (field.value.length > bodyMax) {
        error.textContent = tooLong(field.value.length);
        error.hidden = false;
        return;
      }
      api(messageUrl(item.dataset.messageId), {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ body: field.value }),
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            close();
            setBody(item, data);
          } else {
            error.textContent = data.detail || "Your change could not be saved.";
            error.hidden = false;
          }
        });
      }).catch(function () {
        error.textContent = "You're offline. Your change was not saved.";
        error.hidden = false;
      });
    });
  }

  list.addEventListener("click", function (event) {
    var edit = event.target.closest('[data-action="edit"]');
    if (!edit) return;
    event.preventDefault();
    var details = edit.closest("details");
    details.open = false;
    startEdit(edit.closest("li[data-message-id]"));
  });

  list.addEventListener("submit", function (event) {
    var form = event.target.closest('form[data-action="delete"]');
    if (!form) return;
    event.preventDefault();
    if (!window.confirm("Delete this message for both of you?")) return;
    var item = form.closest("li[data-message-id]");
    api(messageUrl(item.dataset.messageId), { method: "DELETE" }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          setBody(item, data);
          rovingReset();
          say("Message deleted.");
        } else {
          window.alert(data.detail || "The message could not be deleted.");
        }
      });
    });
  });

  // --- reading ------------------------------------------------------------------------------

  var readUpTo = lastId(); // the server marked the page read when it rendered it

  function markRead() {
    if (document.visibilityState !== "visible" || !messagingOn) return;
    readUpTo = lastId();
    api(root.dataset.apiRead, { method: "POST" });
  }

  // After a reconnect, fetch what the socket missed (the API gives newest first).
  function catchUp() {
    api(root.dataset.apiMessages + "?after=" + lastId()).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (page) {
      if (!page) return;
      if (page.next) {
        window.location.reload();
        return;
      }
      page.results.slice().reverse().forEach(function (message) {
        append(message, message.sender.username === root.dataset.me);
      });
      if (page.results.length && atBottom()) markRead();
    });
  }

  // --- switched off and on by the club --------------------------------------------------------

  function setMessagingOn(on) {
    messagingOn = on;
    if (disabledNotice) disabledNotice.hidden = on;
    if (form) {
      form.querySelectorAll("textarea, button").forEach(function (node) { node.disabled = !on; });
    }
    list.querySelectorAll("[data-actions]").forEach(function (node) { node.hidden = !on; });
    if (on && socket === null) connect();
  }

  document.addEventListener("clubroom:messaging", function (event) {
    setMessagingOn(Boolean(event.detail && event.detail.enabled));
  });

  // --- the thread socket --------------------------------------------------------------------

  function connect() {
    if (!("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var openedAt = 0;
    socket = new WebSocket(scheme + window.location.host + root.dataset.threadSocket);
    socket.addEventListener("open", function () {
      openedAt = Date.now();
      if (attempt > 0) catchUp();
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame.type === "message") {
        append(frame.message, frame.message.mine);
        if (typing) typing.hidden = true;
        if (!frame.message.mine) {
          setSeen(frame.message.id); // replying means they read everything before it
          if (atBottom()) markRead();
        }
      } else if (frame.type === "message_changed") {
        var item = list.querySelector('li[data-message-id="' + frame.message.id + '"]');
        if (item) setBody(item, frame.message);
      } else if (frame.type === "seen") {
        setSeen(Number(frame.message_id));
      } else if (frame.type === "typing" && typing) {
        typing.textContent = frame.name + " is typing…";
        typing.hidden = false;
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(function () { typing.hidden = true; }, 4000);
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4404) {
        setMessagingOn(false); // direct messaging was switched off
        return;
      }
      // Backoff starts over only after a socket that lived: a server closing at once (4503, the
      // channel layer is down) is retried ever more slowly.
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      var ceiling = Math.min(15000, 500 * Math.pow(2, attempt));
      attempt += 1;
      window.setTimeout(connect, 250 + Math.random() * ceiling);
    });
  }

  // --- the composer -------------------------------------------------------------------------

  function tooLong(length) {
    return "Messages can be at most " + bodyMax.toLocaleString("en-US") + " characters (this one has " +
      length.toLocaleString("en-US") + "). Shorten it or send it in parts.";
  }

  function updateCounter() {
    if (!counter) return;
    var length = textarea.value.length;
    var near = length >= bodyMax * 0.8;
    counter.hidden = !near;
    counter.classList.toggle("is-over", length > bodyMax);
    counter.textContent = length > bodyMax
      ? (length - bodyMax).toLocaleString("en-US") + " characters over the limit"
      : length.toLocaleString("en-US") + " / " + bodyMax.toLocaleString("en-US");
  }

  if (form) {
    textarea.addEventListener("input", function () {
      updateCounter();
      var now = Date.now();
      if (socket && socket.readyState === WebSocket.OPEN && now - lastTypingSent > 2000) {
        lastTypingSent = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!messagingOn) return;
      if (!textarea.value.trim()) return;
      if (textarea.value.length > bodyMax) {
        // Refused, never cut: the text stays in the box for the sender to shorten.
        errorBox.textContent = tooLong(textarea.value.length);
        errorBox.hidden = false;
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      api(root.dataset.apiMessages, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ body: textarea.value }),
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.status === 201) {
            textarea.value = "";
            updateCounter();
            errorBox.hidden = true;
            append(data, true);
          } else {
            errorBox.textContent = data.detail || "Your message could not be sent. Try again.";
            errorBox.hidden = false;
          }
        });
      }).catch(function () {
        errorBox.textContent = "You're offline. Your message was not sent.";
        errorBox.hidden = false;
      }).finally(function () {
        button.disabled = !messagingOn;
      });
    });
    updateCounter();
  }

  // Messages that arrived while the tab was hidden are read once it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && lastId() > readUpTo && atBottom()) markRead();
  });

  // --- opening the page ---------------------------------------------------------------------

  (function insertDivider() {
    var readBefore = Number(root.dataset.readUpTo) || 0;
    var first = Array.prototype.find.call(items(), function (item) {
      return Number(item.dataset.messageId) > readBefore && !("mine" in item.dataset);
    });
    if (!first || !readBefore && first === items()[0]) return; // a first visit: everything is new
    var divider = document.createElement("li");
    divider.className = "dm-divider";
    divider.dataset.divider = "";
    var label = document.createElement("span");
    label.textContent = "New messages";
    divider.append(label);
    list.insertBefore(divider, first);
  })();

  formatTimes(list);
  prepareActions(list);
  rovingReset();
  renderDays();
  placeSeen();
  if (!root.dataset.historical) scrollToLatest();
  root.dataset.ready = "1";
  if (window.location.hash) {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && list.contains(target)) target.scrollIntoView({ block: "center" });
  }
  connect();
})();
