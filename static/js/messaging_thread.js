// A conversation page made live: new messages arrive over /ws/messages/<id>/, the reply form
// posts through the API without a reload, a typing hint shows, and the thread is marked read
// while it is on screen. Without JavaScript the page works as plain forms.
(function () {
  "use strict";
  var root = document.querySelector("[data-thread-socket]");
  if (!root || !("WebSocket" in window) || !window.fetch) return;

  var list = root.querySelector("[data-thread-messages]");
  var typing = root.querySelector("[data-typing]");
  var form = root.querySelector("[data-reply-form]");
  var errorBox = root.querySelector("[data-reply-error]");
  var attempt = 0;
  var typingTimer = null;
  var lastTypingSent = 0;
  var socket = null;

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

  function lastId() {
    var items = list.querySelectorAll("[data-message-id]");
    return items.length ? Number(items[items.length - 1].dataset.messageId) : 0;
  }

  function formatTime(iso) {
    try {
      return new Date(iso).toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
    } catch (err) {
      return iso;
    }
  }

  // Bodies go in as text nodes, never as HTML.
  function append(message, mine) {
    if (list.querySelector('[data-message-id="' + message.id + '"]')) return;
    var empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.id = "m" + message.id;
    item.className = "dm-message" + (mine ? " is-mine" : "");
    item.dataset.messageId = String(message.id);
    var meta = document.createElement("div");
    meta.className = "dm-meta muted";
    var who = document.createElement("strong");
    who.textContent = mine ? "You" : message.sender.name;
    var when = document.createElement("time");
    when.dateTime = message.created_at;
    when.textContent = formatTime(message.created_at);
    meta.append(who, " · ", when);
    var body = document.createElement("div");
    body.className = "message-body";
    body.textContent = message.body;
    item.append(meta, body);
    list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  var readUpTo = 0;

  function markRead() {
    if (document.visibilityState !== "visible") return;
    readUpTo = lastId();
    api(root.dataset.apiRead, { method: "POST" });
  }

  // After a reconnect, fetch what the socket missed (the API gives newest first).
  function catchUp() {
    var after = lastId();
    api(root.dataset.apiMessages + "?after=" + after).then(function (response) {
      if (!response.ok) return null;
      return response.json();
    }).then(function (page) {
      if (!page) return;
      if (page.next) {
        window.location.reload();
        return;
      }
      page.results.slice().reverse().forEach(function (message) {
        append(message, message.sender.username === root.dataset.me);
      });
      if (page.results.length) markRead();
    });
  }

  function connect() {
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
        if (!frame.message.mine) markRead();
      } else if (frame.type === "typing" && typing) {
        typing.textContent = frame.name + " is typing…";
        typing.hidden = false;
        window.clearTimeout(typingTimer);
        typingTimer = window.setTimeout(function () { typing.hidden = true; }, 4000);
      }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === 4404) return; // direct messaging was switched off
      // Backoff starts over only after a socket that lived: a server closing at once (4503, the
      // channel layer is down) is retried ever more slowly.
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      var ceiling = Math.min(15000, 500 * Math.pow(2, attempt));
      attempt += 1;
      window.setTimeout(connect, 250 + Math.random() * ceiling);
    });
  }

  readUpTo = lastId(); // the server marked the page read when it rendered it

  if (form) {
    var textarea = form.querySelector("textarea[name=body]");
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (socket && socket.readyState === WebSocket.OPEN && now - lastTypingSent > 2000) {
        lastTypingSent = now;
        socket.send(JSON.stringify({ type: "typing" }));
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
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
        button.disabled = false;
      });
    });
  }

  // Messages that arrived while the tab was hidden are read once it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && lastId() > readUpTo) markRead();
  });

  connect();
})();
