/* The reviewer page's live updates (api/ui/live.py); no framework, no inline script.
 *
 * <body data-live="stream URL"> opens an EventSource. Every message means "the state
 * changed": the page re-reads itself (data-read, else its own URL) and swaps its
 * [data-live-region] elements. A region with data-live-key (the pending prompt) is only
 * swapped when its key changes, so a form being filled in is not wiped by a timeline
 * event. On every reconnect the page re-reads too, so nothing missed while away is lost;
 * while disconnected a banner says so. body[data-live-state] is "up" or "down".
 */
(function () {
  "use strict";
  var body = document.body;
  var streamUrl = body.dataset.live;
  if (!streamUrl) return;
  var banner = document.getElementById("live-banner");
  var news = document.getElementById("live-news");
  var source = null;
  var ended = false;
  var opened = false;
  var lastId = null;
  var bannerTimer = null;
  var retryTimer = null;
  var retryDelay = 1000;
  var reading = false;
  var readAgain = false;
  var readTimer = null;

  function say(text) {
    if (!text || !news) return;
    var line = document.createElement("p");
    line.textContent = text;
    news.prepend(line);
    while (news.children.length > 5) news.lastElementChild.remove();
  }

  function down() {
    if (bannerTimer || ended) return;
    // A stream that ends on purpose (the job finished) reconnects at once: no flicker.
    bannerTimer = setTimeout(function () {
      bannerTimer = null;
      if (ended || (source && source.readyState === EventSource.OPEN)) return;
      banner.hidden = false;
      body.dataset.liveState = "down";
    }, 800);
  }

  function up() {
    clearTimeout(bannerTimer);
    bannerTimer = null;
    banner.hidden = true;
    body.dataset.liveState = "up";
  }

  function stop() {
    ended = true;
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
    up();
    body.dataset.liveState = "ended";
  }

  function apply(doc) {
    document.querySelectorAll("[data-live-region]").forEach(function (old) {
      var fresh = doc.getElementById(old.id);
      if (!fresh) return;
      var key = old.getAttribute("data-live-key");
      if (key !== null) {
        if (key === fresh.getAttribute("data-live-key")) return;
        say(fresh.getAttribute("data-live-say"));
      } else if (old.innerHTML === fresh.innerHTML) {
        return;
      }
      var active = document.activeElement;
      var focusedId = active && old.contains(active) ? active.id : null;
      old.replaceWith(document.importNode(fresh, true));
      if (focusedId && document.getElementById(focusedId)) {
        document.getElementById(focusedId).focus();
      }
    });
    if (doc.title) document.title = doc.title;
    if (doc.body && doc.body.dataset.liveEnd === "true") stop();
    document.dispatchEvent(new CustomEvent("live:updated"));
  }

  function reread() {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    fetch(body.dataset.read || location.href, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" }
    }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname === "/ui/sign-in") {
        location.assign(response.url);  // the session ended: sign in again
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html) apply(new DOMParser().parseFromString(html, "text/html"));
    }).catch(function () {
      down();
    }).then(function () {
      reading = false;
      if (readAgain) {
        readAgain = false;
        reread();
      }
    });
  }

  function soon() {  // a burst of events is one re-read
    clearTimeout(readTimer);
    readTimer = setTimeout(reread, 100);
  }

  function url() {
    if (lastId === null) return streamUrl;
    var next = new URL(streamUrl, location.href);
    next.searchParams.set("after", lastId);
    return next.pathname + next.search;
  }

  function connect() {
    if (ended) return;
    source = new EventSource(url());
    source.addEventListener("open", function () {
      retryDelay = 1000;
      up();
      if (opened) reread();  // a reconnect: read what happened meanwhile
      opened = true;
    });
    source.addEventListener("job", function (event) {
      if (event.lastEventId) lastId = event.lastEventId;
      soon();
    });
    source.addEventListener("inbox", function (event) {
      var change = JSON.parse(event.data);
      change.arrived.forEach(function (p) {
        say("New prompt: " + p.skill_name + " (" + p.type + ").");
      });
      change.left.forEach(function (p) {
        say(p.skill_name + " (" + p.type + ") " + p.words + ".");
      });
      reread();
    });
    source.addEventListener("error", function () {
      if (ended) return;
      down();
      if (source && source.readyState === EventSource.CLOSED) {
        // Refused (signed out, too many streams, the server away): retry, backing off.
        // The re-read finds out whether the session ended (then it goes to sign in).
        source = null;
        reread();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    });
  }

  window.addEventListener("pagehide", function () {
    if (source) source.close();  // give the stream's slot back at once
  });
  connect();
})();
