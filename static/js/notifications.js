// Live unread badges over /ws/notifications/ (realtime app).
// The server sends state, not deltas: every frame is the full count, so after a reconnect the
// snapshot alone makes the badges right again. While the socket is down a small "reconnecting…"
// label shows; reconnects back off exponentially with full jitter.
(function () {
  "use strict";
  var path = document.body && document.body.dataset.notificationsUrl;
  if (!path || !("WebSocket" in window)) return;

  var connection = document.querySelector("[data-connection]");
  var attempt = 0;
  var timer = null;
  var socket = null;

  function setBadge(name, value) {
    var badge = document.querySelector('[data-badge="' + name + '"]');
    if (!badge || value === null || value === undefined) return;
    badge.textContent = String(value);
    badge.classList.toggle("is-zero", !value);
  }

  function setReconnecting(down) {
    if (connection) connection.hidden = !down;
    document.body.dataset.notificationsState = down ? "reconnecting" : "open";
  }

  function handle(frame) {
    if (frame.type === "unread") {
      setBadge("messages", frame.messages);
      setBadge("inbox", frame.inbox);
      document.dispatchEvent(new CustomEvent("clubroom:unread", { detail: frame }));
    } else if (frame.type === "messaging") {
      var link = document.querySelector('[data-nav="messages"]');
      if (link) link.hidden = !frame.enabled;
      document.dispatchEvent(new CustomEvent("clubroom:messaging", { detail: frame }));
    }
  }

  function connect() {
    timer = null;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + path);
    socket.addEventListener("open", function () {
      attempt = 0;
      setReconnecting(false);
    });
    socket.addEventListener("message", function (event) {
      try {
        handle(JSON.parse(event.data));
      } catch (err) {
        /* a malformed frame is ignored; the next snapshot corrects everything */
      }
    });
    socket.addEventListener("close", function () {
      socket = null;
      setReconnecting(true);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (timer !== null) return;
    var ceiling = Math.min(15000, 500 * Math.pow(2, attempt));
    attempt += 1;
    timer = window.setTimeout(connect, 250 + Math.random() * ceiling);
  }

  window.addEventListener("online", function () {
    if (socket === null && timer !== null) {
      window.clearTimeout(timer);
      connect();
    }
  });
  window.addEventListener("pagehide", function () {
    if (socket) socket.close();
  });

  connect();
})();
