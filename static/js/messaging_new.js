// "New message": results follow the typing (the server renders them; the form works without JS).
(function () {
  "use strict";
  var root = document.querySelector("[data-recipient-search]");
  if (!root || !window.fetch) return;
  var input = root.querySelector("input[name=q]");
  var results = root.querySelector("[data-recipient-results]");
  var timer = null;
  var latest = 0;

  function search() {
    var query = input.value.trim();
    var ticket = ++latest;
    var url = root.dataset.fragmentUrl + "?fragment=1&q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || ticket !== latest) return; // an older answer arriving late is dropped
        results.innerHTML = html; // server-rendered and escaped by Django's templates
        window.history.replaceState(null, "", "?q=" + encodeURIComponent(query));
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 150);
  });
  root.querySelector("[data-recipient-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    search();
  });
})();
