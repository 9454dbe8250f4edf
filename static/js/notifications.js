// Site-wide behaviour of every signed-in page (loaded by base.html):
//  - the phone menu: under 640 px the top navigation folds into a "Menu" button;
//  - live unread badges over /ws/notifications/ (realtime app), and the count in the tab title
//    ("(3) Messages · Clubroom");
//  - opt-in browser notifications for a new direct message while the tab is hidden.
// The server sends state, not deltas: every frame is the full count, so after a reconnect the
// snapshot alone makes the badges and the title right again. While the socket is down a small
// "reconnecting…" label shows; reconnects back off exponentially with full jitter. The server sends
// a heartbeat every `interval` seconds; a socket that stays silent for three of them is dead even if
// the browser thinks it open (a proxy or Redis lost it), so it is dropped and reconnected.
(function () {
  "use strict";
  var NOTIFY_KEY = "clubroom.notifications";

  // --- phone menu -------------------------------------------------------------------------------
  (function navMenu() {
    var toggle = document.querySelector(".nav-toggle");
    var menu = document.getElementById("nav-menu");
    if (!toggle || !menu) return;
    document.documentElement.classList.add("has-nav-toggle");
    function setOpen(open) {
      menu.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    }
    toggle.addEventListener("click", function () {
      setOpen(!menu.classList.contains("is-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  })();

  // --- browser notifications: the opt-in lives in this browser (like the permission itself) ------
  function storedOptIn() {
    try {
      return window.localStorage.getItem(NOTIFY_KEY) === "on";
    } catch (err) {
      return false; // storage blocked: never opted in
    }
  }

  function storeOptIn(on) {
    try {
      if (on) window.localStorage.setItem(NOTIFY_KEY, "on");
      else window.localStorage.removeItem(NOTIFY_KEY);
    } catch (err) {
      /* storage blocked: the choice lasts for this page only */
    }
  }

  function notificationsWanted() {
    return "Notification" in window && Notification.permission === "granted" && storedOptIn();
  }

  (function notificationSetting() {
    var item = document.querySelector("[data-notify-setting]");
    var button = item && item.querySelector("[data-notify-toggle]");
    if (!button || !("Notification" in window)) return;
    item.hidden = false;
    function render() {
      var blocked = Notification.permission === "denied";
      button.disabled = blocked;
      button.textContent = blocked
        ? "Browser notifications: blocked in this browser"
        : "Browser notifications: " + (notificationsWanted() ? "on" : "off");
    }
    button.addEventListener("click", function () {
      if (notificationsWanted()) {
        storeOptIn(false);
        render();
        return;
      }
      var asked = Notification.permission === "granted" ? Promise.resolve("granted") : Notification.requestPermission();
      Promise.resolve(asked).then(function (permission) {
        storeOptIn(permission === "granted");
        render();
      });
    });
    render();
  })();

  var lastMessages = null; // the previous frame's count: a notification is for a rise, not a snapshot

  function notifyOfNewMessages(count) {
    var previous = lastMessages;
    lastMessages = count;
    if (previous === null || count <= previous || !document.hidden || !notificationsWanted()) return;
    var link = document.querySelector('[data-nav="messages"] a');
    var notification = new Notification("New message on Clubroom", {
      body: count === 1 ? "You have 1 unread message." : "You have " + count + " unread messages.",
      tag: "clubroom-messages", // one notification however many tabs are open
    });
    notification.addEventListener("click", function () {
      window.focus();
      window.location.href = link ? link.getAttribute("href") : "/messages/";
      notification.close();
    });
  }

  // --- title ------------------------------------------------------------------------------------
  function setTitleCount(count) {
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + base : base;
  }

  // --- live badges --------------------------------------------------------------------------------
  var path = document.body && document.body.dataset.notificationsUrl;
  if (!path || !("WebSocket" in window)) return;

  var connection = document.querySelector("[data-connection]");
  var attempt = 0;
  var timer = null;
  var socket = null;
  var lastFrameAt = Date.now();
  var heartbeatSeconds = 20;

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
      if (typeof frame.messages === "number") {
        setTitleCount(frame.messages);
        notifyOfNewMessages(frame.messages);
      }
      document.dispatchEvent(new CustomEvent("clubroom:unread", { detail: frame }));
    } else if (frame.type === "messaging") {
      var link = document.querySelector('[data-nav="messages"]');
      if (link) link.hidden = !frame.enabled;
      if (!frame.enabled) setTitleCount(0);
      document.dispatchEvent(new CustomEvent("clubroom:messaging", { detail: frame }));
    } else if (frame.type !== "heartbeat") {
      // A registered topic's event (e.g. the inbox's "conversation.changed"): pages that care listen.
      document.dispatchEvent(new CustomEvent("clubroom:event", { detail: frame }));
    }
  }

  function connect() {
    timer = null;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + path);
    var openedAt = 0;
    socket = ws;
    ws.addEventListener("open", function () {
      if (ws !== socket) return;
      openedAt = lastFrameAt = Date.now();
      setReconnecting(false);
    });
    ws.addEventListener("message", function (event) {
      if (ws !== socket) return;
      lastFrameAt = Date.now();
      try {
        var frame = JSON.parse(event.data);
        if (frame.type === "heartbeat" && frame.interval > 0) {
          heartbeatSeconds = frame.interval;
          document.body.dataset.notificationsHeartbeat = String(frame.interval);
        }
        handle(frame);
      } catch (err) {
        /* a malformed frame is ignored; the next snapshot corrects everything */
      }
    });
    ws.addEventListener("close", function () {
      if (ws !== socket) return; // already given up on by the watchdog
      socket = null;
      // Backoff starts over only after a socket that lived (a server closing at once, e.g. 4503
      // while the database is down, is retried ever more slowly).
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      setReconnecting(true);
      scheduleReconnect();
    });
  }

  // The watchdog: heartbeats stopped, so the socket is deaf however open it looks.
  window.setInterval(function () {
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastFrameAt <= 3 * heartbeatSeconds * 1000) return;
    var dead = socket;
    socket = null;
    try {
      dead.close(4000, "heartbeat timeout");
    } catch (err) {
      /* closing a dead socket may throw; it is abandoned either way */
    }
    setReconnecting(true);
    scheduleReconnect();
  }, 1000);

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
