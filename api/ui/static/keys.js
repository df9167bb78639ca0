/* Keyboard shortcuts of the reviewer page; `?` lists them (the <dialog id="shortcuts">).
 *
 * Inbox: j/k select the next/previous prompt, Enter opens it. Job page: a proceeds,
 * r revises (first to the feedback field; with feedback written, it sends), c opens the
 * cancel confirmation. None fires while typing in a field (Esc leaves the field;
 * Ctrl+Enter there sends the answer) or with Ctrl/Alt/Meta held. The single-key ones can
 * be turned off in the list (WCAG 2.1.4), remembered in this browser's localStorage; the
 * header's "Keyboard shortcuts" button opens the list either way.
 */
(function () {
  "use strict";
  var dialog = document.getElementById("shortcuts");
  var selected = null;  // the inbox row's job id
  var revising = false;
  var leader = false;   // "g" pressed: the next key picks where to go

  var NOT_TYPING = ["checkbox", "radio", "button", "submit", "reset"];
  var OFF_KEY = "skill-fleet.single-key-shortcuts";
  var toggle = document.getElementById("shortcuts-on");
  var opener = document.getElementById("shortcuts-button");

  function stored() {
    try { return window.localStorage.getItem(OFF_KEY); } catch (e) { return null; }
  }

  var singleKeys = stored() !== "off";
  if (toggle) {
    toggle.checked = singleKeys;
    toggle.addEventListener("change", function () {
      singleKeys = toggle.checked;
      try { window.localStorage.setItem(OFF_KEY, singleKeys ? "on" : "off"); } catch (e) {}
    });
  }
  if (opener && dialog) {
    opener.addEventListener("click", function () { dialog.showModal(); });
  }

  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") {
      return true;
    }
    return el.tagName === "INPUT" && NOT_TYPING.indexOf(el.type) < 0;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-job]"));
  }

  function select(row, focus) {
    rows().forEach(function (r) {
      r.classList.remove("selected");
      r.removeAttribute("aria-current");
    });
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    selected = row.dataset.job;
    var link = row.querySelector("a");
    if (link && focus) link.focus();
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.findIndex(function (r) { return r.dataset.job === selected; });
    at = at < 0 ? (step > 0 ? 0 : all.length - 1)
                : Math.max(0, Math.min(all.length - 1, at + step));
    select(all[at], true);
  }

  function answerForm() { return document.getElementById("answer-form"); }

  function button(action) {
    var form = answerForm();
    return form && form.querySelector('button[name="action"][value="' + action + '"]');
  }

  function send(action) {
    var b = button(action);
    if (b) answerForm().requestSubmit(b);
    return Boolean(b);
  }

  function revise() {
    var feedback = answerForm() && answerForm().querySelector('[name="feedback"]');
    if (feedback && !feedback.value.trim()) {
      revising = true;
      feedback.focus();
      return true;
    }
    return send("revise");
  }

  function askCancel() {
    var confirm = document.querySelector("details.cancel-confirm");
    if (!confirm) return false;
    confirm.open = true;
    var yes = confirm.querySelector("button");
    if (yes) yes.focus();
    return true;
  }

  document.addEventListener("live:updated", function () {
    if (!selected) return;
    var row = document.querySelector('tr[data-job="' + selected + '"]');
    var lost = document.activeElement === document.body || !document.activeElement;
    if (row) select(row, lost);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.isComposing || event.defaultPrevented) return;
    if (typing(target)) {
      if (event.key === "Escape") {
        target.blur();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) &&
                 answerForm() && answerForm().contains(target)) {
        event.preventDefault();
        send(revising ? "revise" : "proceed");
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || !singleKeys) return;
    if (dialog && dialog.open) {
      if (event.key === "?") dialog.close();
      return;
    }
    var key = event.key;
    if (leader) {
      leader = false;
      if (key === "i") {
        location.assign("/ui/");
        event.preventDefault();
      }
      return;
    }
    var done = false;
    if (key === "?") {
      if (dialog) dialog.showModal();
      done = Boolean(dialog);
    } else if (key === "g") {
      leader = done = true;
    } else if (key === "j" || key === "k") {
      move(key === "j" ? 1 : -1);
      done = rows().length > 0;
    } else if (key === "Enter" && selected && target.tagName !== "A" &&
               target.tagName !== "BUTTON") {
      var row = document.querySelector('tr[data-job="' + selected + '"] a');
      if (row) location.assign(row.href);
      done = Boolean(row);
    } else if (key === "a") {
      done = send("proceed");
    } else if (key === "r") {
      done = revise();
    } else if (key === "c") {
      done = askCancel();
    }
    if (done) event.preventDefault();
  });
})();
