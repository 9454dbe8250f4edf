// The staff side's one time format, in the club's time zone (mirrors core/timefmt.py):
// "just now", "3 min ago", "2 h ago" today; "Yesterday 14:05"; "Mon 24 Nov, 14:05"; "4 Jan 2025, 14:05".
// The zone comes from <body data-club-tz>. window.clubtime.format(iso) formats live-appended times;
// every time[data-clubtime] is re-rendered each minute so relative times age.
(function () {
  "use strict";
  var zone = document.body.getAttribute("data-club-tz") || undefined;
  var partsFormat = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "short", day: "numeric", weekday: "short",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function parts(date) {
    var out = {};
    partsFormat.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function dayKey(p) { return p.year + "-" + p.month + "-" + p.day; }
  // Some moment of the club's yesterday, safe across DST days (23 or 25 hours long).
  function yesterdayKey(now) {
    var n = parts(now);
    var sinceMidnight = ((+n.hour * 60 + +n.minute) * 60 + now.getSeconds()) * 1000;
    return dayKey(parts(new Date(now.getTime() - sinceMidnight - 12 * 3600000)));
  }

  function format(iso, nowDate) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var now = nowDate || new Date();
    var p = parts(date), n = parts(now);
    var clock = p.hour + ":" + p.minute;
    if (dayKey(p) === dayKey(n)) {
      if (date > now) return clock;
      var seconds = Math.floor((now - date) / 1000);
      if (seconds < 60) return "just now";
      if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
      return Math.floor(seconds / 3600) + " h ago";
    }
    if (dayKey(p) === yesterdayKey(now)) return "Yesterday " + clock;
    if (p.year === n.year) return p.weekday + " " + p.day + " " + p.month + ", " + clock;
    return p.day + " " + p.month + " " + p.year + ", " + clock;
  }

  function dayLabel(iso, nowDate) {
    var date = new Date(iso), now = nowDate || new Date();
    var p = parts(date), n = parts(now);
    if (dayKey(p) === dayKey(n)) return "Today";
    if (dayKey(p) === yesterdayKey(now)) return "Yesterday";
    if (p.year === n.year) return p.weekday + " " + p.day + " " + p.month;
    return p.day + " " + p.month + " " + p.year;
  }

  function render(scope) {
    (scope || document).querySelectorAll("time[data-clubtime]").forEach(function (node) {
      var text = format(node.getAttribute("datetime"));
      if (text && node.textContent !== text) node.textContent = text;
    });
  }

  window.clubtime = { format: format, dayLabel: dayLabel, render: render };
  render();
  setInterval(render, 60000);
})();
