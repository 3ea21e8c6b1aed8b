// pollhook console: the create form's live poll URL previews and "copy to another resource".
// Plain script, no dependencies; every page works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.create");
  if (!form) { return; }

  function sections() { return Array.prototype.slice.call(form.querySelectorAll("fieldset.resource")); }
  function field(section, suffix) {
    return section.querySelector('[name="resource.' + section.dataset.index + "." + suffix + '"]');
  }

  // Live preview: the server expands the url exactly as `pollhook preview-url` does.
  var timers = {};
  function preview(section) {
    var index = section.dataset.index;
    clearTimeout(timers[index]);
    timers[index] = setTimeout(function () {
      var url = field(section, "url");
      var zone = field(section, "updatedDateTimezone");
      var out = section.querySelector("output[data-preview]");
      if (!url || !out) { return; }
      var query = "template=" + encodeURIComponent(url.value) + "&timezone=" + encodeURIComponent(zone ? zone.value : "");
      fetch("/console/preview-url?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          out.textContent = "";
          var node = document.createElement(body.url !== undefined ? "code" : "span");
          if (body.url === undefined) { node.className = "bad"; }
          node.textContent = body.url !== undefined ? body.url : body.error;
          out.appendChild(node);
        })
        .catch(function () { /* keep the last preview */ });
    }, 250);
  }

  form.addEventListener("input", function (e) {
    var section = e.target.closest && e.target.closest("fieldset.resource");
    if (!section) { return; }
    var name = e.target.getAttribute("name") || "";
    if (/\.(url|updatedDateTimezone)$/.test(name)) { preview(section); }
  });

  // Copy to another resource: the seed pages' "copy the configuration and replace the name".
  function reindex(node, from, to) {
    var attrs = ["id", "for", "name", "aria-describedby", "data-preview", "data-copy-from", "data-index"];
    var all = [node].concat(Array.prototype.slice.call(node.querySelectorAll("*")));
    all.forEach(function (el) {
      attrs.forEach(function (a) {
        var v = el.getAttribute(a);
        if (v === null) { return; }
        v = v.split("resource." + from + ".").join("resource." + to + ".")
             .split("resource-" + from + "-").join("resource-" + to + "-");
        if ((a === "data-preview" || a === "data-copy-from" || a === "data-index") && v === String(from)) { v = String(to); }
        el.setAttribute(a, v);
      });
    });
  }

  function setText(el, text) { if (el) { el.textContent = text; } }

  function newSection(source, name) {
    var list = sections();
    var to = list.length;
    var clone = source.cloneNode(true);
    reindex(clone, source.dataset.index, to);
    clone.dataset.resource = name;
    Array.prototype.forEach.call(clone.querySelectorAll(".field-error"), function (el) { el.remove(); });
    Array.prototype.forEach.call(clone.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
    var legend = clone.querySelector("legend");
    legend.textContent = "";
    var code = document.createElement("code");
    code.textContent = name;
    legend.appendChild(code);
    Array.prototype.forEach.call(clone.querySelectorAll(".visually-hidden"), function (el) { el.textContent = name + " "; });
    var hidden = clone.querySelector('input[type=hidden][name$=".name"]');
    hidden.value = name;
    var poll = clone.querySelector('input[type=checkbox][name$=".poll"]');
    if (poll) { setText(clone.querySelector('label[for="' + poll.id + '"]'), "Poll " + name); }
    var summary = clone.querySelector("summary");
    setText(summary, "Polling configuration of " + name);
    var copyLabel = clone.querySelector(".copy label");
    setText(copyLabel, "Copy " + name + " to resource");
    list[list.length - 1].after(clone);
    return clone;
  }

  form.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-copy-from]");
    if (!button) { return; }
    var source = button.closest("fieldset.resource");
    var targetInput = source.querySelector(".copy input");
    var status = document.getElementById("copy-status");
    var from = source.dataset.resource;
    var name = (targetInput.value || "").trim();
    if (!name || name === from) {
      setText(status, "Enter the name of another resource to copy " + from + " to.");
      targetInput.focus();
      return;
    }
    var target = sections().filter(function (s) { return s.dataset.resource === name; })[0] || newSection(source, name);
    Array.prototype.forEach.call(source.querySelectorAll("input[name]"), function (input) {
      var suffix = input.name.split(".").slice(2).join(".");
      if (suffix === "name") { return; }
      var dest = field(target, suffix);
      if (!dest) { return; }
      if (input.type === "checkbox") { dest.checked = input.checked; return; }
      var value = input.value;
      if (suffix === "url") { value = value.split(from).join(name); }
      dest.value = value;
    });
    var poll = field(target, "poll");
    if (poll) { poll.checked = true; }
    targetInput.value = "";
    preview(target);
    setText(status, "Copied the configuration of " + from + " to " + name + ".");
    var url = field(target, "url");
    if (url) { url.focus(); }
  });

  sections().forEach(function (s) {
    var row = s.querySelector("[data-copy-row]");
    if (row) { row.hidden = false; }
  });
})();
