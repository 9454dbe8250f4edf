// The thread list stays current: when the unread counts change (a frame on /ws/notifications/),
// the list is fetched again and swapped in, so order, snippets and counts follow the database.
(function () {
  "use strict";
  var list = document.querySelector("[data-thread-list]");
  if (!list || !window.fetch || !window.DOMParser) return;
  var pending = null;

  function refresh() {
    pending = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-thread-list]");
        if (fresh) list.replaceChildren.apply(list, Array.prototype.slice.call(fresh.childNodes));
      });
  }

  var first = true;
  document.addEventListener("clubroom:unread", function () {
    if (first) { first = false; return; } // the connect snapshot matches the page we already have
    if (pending === null) pending = window.setTimeout(refresh, 150);
  });
})();
