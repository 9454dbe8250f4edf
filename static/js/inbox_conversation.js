// The staff inbox's conversation page made live (templates/inbox/conversation_detail.html).
// /ws/inbox/<id>/ says when the conversation changed (a message, a note, a delivery, the team's state):
// the page fetches /inbox/<id>/live/ and swaps the state, the timeline and the actions (not the part
// being used). It also carries "Sam is replying" (collision warning). On reconnect the page resyncs.
// Times are formatted by clubtime.js, on first render and after every swap.
// Without JavaScript the page works as plain forms.
(function () {
  "use strict";
  var root = document.getElementById("ic");
  if (!root || !window.fetch) return;

  var typingBox = document.getElementById("ic-typing");
  var form = document.getElementById("ic-reply-form");
  var textarea = form ? form.querySelector("textarea[name=body]") : null;
  var counter = document.getElementById("ic-counter");
  var subject = document.getElementById("ic-subject");
  var saved = document.getElementById("ic-saved");
  var socket = null;
  var attempt = 0;
  var everOpen = false;
  var lastTypingSent = 0;
  var typingTimer = null;
  var refreshing = false;
  var refreshAgain = false;
  var TYPING_SHOWN_MS = 6000;
  var TYPING_SEND_MS = 2000;
  var SMS_MAX = 1600;

  function renderTimes(scope) {
    if (window.clubtime) window.clubtime.render(scope);
  }

  // "The newest" is the last message with the reply box under it, not the document's end: below
  // the timeline come the member panel and the actions on a phone (and a long panel on a desk).
  function lastItem() {
    var items = document.querySelectorAll("#ic-timeline > li");
    return items.length ? items[items.length - 1] : null;
  }

  function nearBottom() {
    var last = lastItem();
    return !last || last.getBoundingClientRect().bottom <= window.innerHeight + 160;
  }

  function toNewest() {
    var last = lastItem();
    var reply = document.querySelector(".ic-reply");
    if (last) last.scrollIntoView({ block: "end" });
    if (reply) reply.scrollIntoView({ block: "end" });
  }

  // --- live refresh -------------------------------------------------------------------------

  function swap(fresh, id) {
    var current = document.getElementById(id);
    var next = fresh.getElementById(id);
    if (!current || !next) return;
    if (current.contains(document.activeElement) && id === "ic-actions") return; // in use: keep it
    current.replaceChildren.apply(current, Array.prototype.slice.call(next.childNodes));
  }

  function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    var stick = nearBottom();
    var url = root.dataset.liveUrl + (document.visibilityState === "visible" ? "?read=1" : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["ic-state", "ic-timeline", "ic-actions"].forEach(function (id) { swap(fresh, id); });
        renderTimes(root);
        if (stick) toNewest();
      })
      .catch(function () { /* the next change or reconnect refetches */ })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; refresh(); }
      });
  }

  // --- the socket ---------------------------------------------------------------------------

  function showTyping(name) {
    typingBox.textContent = name + " is replying…";
    typingBox.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingBox.hidden = true; }, TYPING_SHOWN_MS);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.socketUrl);
    socket.onopen = function () {
      attempt = 0;
      if (everOpen) refresh(); // missed changes while away: resync from the server
      everOpen = true;
      root.dataset.live = "1";
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "conversation.changed") refresh();
      else if (frame.type === "typing" && frame.name) showTyping(frame.name);
    };
    socket.onclose = function (event) {
      root.dataset.live = "0";
      if (event.code === 4403 || event.code === 4404) return; // not ours to watch: no retry
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  // --- the reply box ------------------------------------------------------------------------

  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "^{}\\[~]|€";

  // SMS size: GSM-7 texts take 160 characters in one part, 153 per part when split (extended
  // characters count twice); anything else is UCS-2: 70 in one part, 67 per part.
  function smsParts(text) {
    var units = 0, gsm = true, i, ch;
    for (i = 0; i < text.length; i += 1) {
      ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) units += 1;
      else if (GSM_EXTENDED.indexOf(ch) >= 0) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = text.length; // UTF-16 code units, as UCS-2 counts them
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var parts = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
    return { units: units, parts: parts, encoding: gsm ? "GSM-7" : "Unicode" };
  }

  function channel() {
    var checked = form.querySelector("input[name=channel]:checked");
    return checked ? checked.value : "sms";
  }

  function updateCounter() {
    if (!counter || !textarea) return;
    var text = textarea.value;
    if (channel() === "email") {
      counter.textContent = text.length + " characters";
      counter.classList.remove("is-over");
      return;
    }
    var size = smsParts(text);
    counter.textContent = text.length + " / " + SMS_MAX + " characters · " + size.parts + " SMS" +
      (size.parts === 1 ? "" : " parts") + (size.encoding === "Unicode" && text ? " (Unicode)" : "");
    counter.classList.toggle("is-over", text.length > SMS_MAX);
  }

  function updateSubject() {
    if (subject) subject.hidden = channel() !== "email";
  }

  function insertText(text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    if (typeof start !== "number") { textarea.value = value + text; return; }
    textarea.value = value.slice(0, start) + text + value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
  }

  function sendTyping() {
    var now = Date.now();
    if (now - lastTypingSent < TYPING_SEND_MS || !socket || socket.readyState !== WebSocket.OPEN) return;
    lastTypingSent = now;
    socket.send(JSON.stringify({ type: "typing" }));
  }

  if (form && textarea) {
    textarea.addEventListener("input", function () { updateCounter(); sendTyping(); });
    form.querySelectorAll("input[name=channel]").forEach(function (radio) {
      radio.addEventListener("change", function () { updateSubject(); updateCounter(); });
    });
    if (saved) {
      saved.addEventListener("change", function () {
        var option = saved.options[saved.selectedIndex];
        if (option && option.dataset.body) {
          insertText(option.dataset.body);
          updateCounter();
          textarea.focus();
        }
        saved.value = "";
      });
    }
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true; // one click, one reply (the key makes a second one a no-op anyway)
    });
    updateSubject();
    updateCounter();
  }

  renderTimes(root);
  toNewest();
  connect();
})();
