// The officer's answer, measured while it is typed: what is left of one
// USSD follow-up screen in the caller's language (the room and the GSM-7
// alphabet come from the server: menus.Catalog.AnswerRoom, menus/gsm7),
// and how many SMS segments the text takes. Served from /meal/static
// (CSP script-src 'self'); the form works the same without it.
(function () {
  "use strict";
  var ta = document.getElementById("response");
  var out = document.getElementById("response-count");
  if (!ta || !out) {
    return;
  }
  var basic = ta.dataset.gsm7 + "\n\r";
  var ext = ta.dataset.gsm7Ext;
  // septets of s in GSM-7 (extension characters count 2); -1 when a
  // character is outside the alphabet (the whole text is then UCS-2).
  function septets(s) {
    var n = 0;
    for (var ch of s) {
      if (basic.indexOf(ch) >= 0) {
        n += 1;
      } else if (ext.indexOf(ch) >= 0) {
        n += 2;
      } else {
        return -1;
      }
    }
    return n;
  }
  function segments(units, single, part) {
    if (units === 0) {
      return 0;
    }
    return units <= single ? 1 : Math.ceil(units / part);
  }
  function say(template, n, s) {
    return template.replace("%d", String(n)).replace("%s", s || "");
  }
  function update() {
    var text = ta.value.normalize("NFC").trim();
    var n = septets(text);
    var room = Number(ta.dataset.ussdGsm7);
    var left = n >= 0 && room >= 0 ? room - n : Number(ta.dataset.ussdUcs2) - text.length;
    var ussd = left >= 0 ? say(out.dataset.fits, left) : say(out.dataset.over, -left);
    var sms = n >= 0 ? say(out.dataset.sms, segments(n, 160, 153), "GSM-7") : say(out.dataset.sms, segments(text.length, 70, 67), "UCS-2");
    out.textContent = ussd + " · " + sms;
    out.className = left >= 0 ? "counter" : "counter over";
  }
  ta.addEventListener("input", update);
  update();
})();
