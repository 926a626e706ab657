/* Upload progress with retry for the field forms that carry photos (UX.md, "field forms").
 *
 * A <form data-upload-progress> posted as multipart/form-data is sent with XMLHttpRequest
 * instead of by the browser, so that someone on a weak mobile signal sees how far the photos
 * have come and, when the connection drops, can send the very same input again with one tap:
 * the FormData, chosen files and all, stays in memory, so nothing has to be chosen anew.
 *
 * Whatever the server answers replaces this page, exactly as a plain submit would have shown
 * it: the page a redirect leads to (with its "done" message, which a second request for the
 * same URL would no longer carry), or the form again with the server's errors. The server
 * stays the only judge of the input: CSRF token, hidden `version`, confirmations and photo
 * rules all travel in the form data. Without this script the forms post as they always did.
 *
 * The form holds the panel (cases/_upload_progress.html) with the translated texts.
 */
(function () {
  "use strict";

  // The case page brings this script with each step form that takes photos: listen once.
  var root = document.documentElement;
  if (root.hasAttribute("data-upload-ready")) {
    return;
  }
  root.setAttribute("data-upload-ready", "");

  // No progress for this long while sending: the signal is gone, offer a retry.
  var STALL_MS = 60000;
  // All sent; the server scales the photos before answering, which may take a while.
  var ANSWER_MS = 120000;

  var uploads = new WeakMap();

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.type === "submit";
    });
  }

  function enhanced(form, submitter) {
    if (!form.hasAttribute("data-upload-progress") || !window.FormData || !window.WeakMap) {
      return false;
    }
    var enctype = (submitter && submitter.getAttribute("formenctype")) || form.enctype;
    var target = (submitter && submitter.getAttribute("formtarget")) || form.target;
    return form.method === "post" && enctype === "multipart/form-data" && !target;
  }

  function Upload(form) {
    var panel = form.querySelector("[data-upload-panel]");
    this.form = form;
    this.panel = panel;
    this.bar = panel.querySelector("[role=progressbar]");
    this.fill = panel.querySelector(".progress-bar");
    this.status = panel.querySelector("[data-upload-status]");
    this.error = panel.querySelector("[data-upload-error]");
    this.retryButton = panel.querySelector("[data-upload-retry]");
    this.cancelButton = panel.querySelector("[data-upload-cancel]");
    this.xhr = null;
    this.body = null;
    this.url = "";
    this.timer = 0;
    this.said = 0;
    this.retryButton.addEventListener("click", this.send.bind(this));
    this.cancelButton.addEventListener("click", this.cancel.bind(this));
  }

  Upload.prototype.text = function (name, values) {
    var text = this.panel.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("{" + key + "}", values[key]);
    });
    return text;
  };

  Upload.prototype.state = function (state) {
    this.panel.setAttribute("data-upload-state", state);
    this.panel.hidden = state === "idle";
    this.error.hidden = state !== "error";
    // A bar stuck part way only distracts from the error and its way out.
    this.bar.hidden = state === "error";
    this.retryButton.hidden = state !== "error";
    // Once all is sent, cancelling here would no longer stop the server.
    this.cancelButton.hidden = state !== "sending" && state !== "error";
    var busy = state === "sending" || state === "processing";
    this.form.setAttribute("aria-busy", busy ? "true" : "false");
    submitButtons(this.form).forEach(function (button) {
      if (busy && !button.disabled) {
        button.disabled = true;
        button.setAttribute("data-upload-disabled", "");
      } else if (!busy && button.hasAttribute("data-upload-disabled")) {
        button.disabled = false;
        button.removeAttribute("data-upload-disabled");
      }
    });
  };

  Upload.prototype.progress = function (percent) {
    this.bar.setAttribute("aria-valuenow", String(percent));
    this.fill.style.width = percent + "%";
    this.fill.textContent = percent + "%";
  };

  Upload.prototype.watch = function (ms, why) {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () {
      self.fail(why);
    }, ms);
  };

  Upload.prototype.start = function (submitter) {
    var form = this.form;
    this.body = new FormData(form);
    // A browser's own submit sends the button that was pressed (its name, and its formaction
    // as the address): "add my report to this case" on the intake form depends on both.
    if (submitter && submitter.name) {
      this.body.append(submitter.name, submitter.value);
    }
    this.url =
      submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    this.send();
  };

  Upload.prototype.send = function () {
    var self = this;
    var xhr = new XMLHttpRequest();
    this.xhr = xhr;
    this.state("sending");
    this.progress(0);
    this.said = 0;
    this.status.textContent = this.text("sending", { percent: "0%" });

    xhr.upload.addEventListener("progress", function (e) {
      if (xhr !== self.xhr || !e.lengthComputable || !e.total) {
        return;
      }
      var percent = Math.min(100, Math.floor((e.loaded / e.total) * 100));
      self.progress(percent);
      // The bar moves with every step; the spoken status line only every tenth, or a screen
      // reader would read out nothing else.
      if (Math.floor(percent / 10) !== Math.floor(self.said / 10)) {
        self.said = percent;
        self.status.textContent = self.text("sending", { percent: percent + "%" });
      }
      self.watch(STALL_MS, "timeout");
    });
    xhr.upload.addEventListener("load", function () {
      if (xhr !== self.xhr) {
        return;
      }
      self.progress(100);
      self.state("processing");
      self.status.textContent = self.text("processing");
      self.watch(ANSWER_MS, "no-answer");
    });
    xhr.addEventListener("load", function () {
      if (xhr === self.xhr) {
        self.answer(xhr);
      }
    });
    xhr.addEventListener("error", function () {
      if (xhr === self.xhr) {
        // Cut off after the last byte went up: the server may well have saved it.
        var sent = self.panel.getAttribute("data-upload-state") === "processing";
        self.fail(sent ? "no-answer" : "offline");
      }
    });

    xhr.open("POST", this.url);
    xhr.setRequestHeader("Accept", "text/html");
    this.watch(STALL_MS, "timeout");
    xhr.send(this.body);
  };

  Upload.prototype.stop = function () {
    window.clearTimeout(this.timer);
    var xhr = this.xhr;
    this.xhr = null;
    if (xhr) {
      xhr.abort();
    }
  };

  Upload.prototype.fail = function (why, status) {
    this.stop();
    this.state("error");
    this.status.textContent = "";
    this.error.querySelector("[data-upload-error-text]").textContent = this.text(why, {
      status: String(status || "")
    });
    this.retryButton.focus();
  };

  Upload.prototype.cancel = function () {
    this.stop();
    this.body = null;
    this.state("idle");
    this.progress(0);
  };

  Upload.prototype.answer = function (xhr) {
    window.clearTimeout(this.timer);
    this.xhr = null;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0 && xhr.responseText) {
      this.body = null;
      show(xhr.responseText, xhr.responseURL, xhr.responseURL !== this.url);
    } else if (xhr.status < 400 && xhr.responseURL) {
      this.body = null;
      window.location.assign(xhr.responseURL);
    } else {
      this.fail("failed", xhr.status);
    }
  };

  // The server's page in place of this one, as if the browser had submitted the form. After a
  // redirect the address becomes the page's own, replacing the form's: going back does not
  // return to a form already sent. Scripts of the new page run again in the fresh document.
  function show(html, url, redirected) {
    if (redirected && url) {
      window.history.replaceState(null, "", url);
    }
    document.open();
    document.write(html);
    document.close();
    window.scrollTo(0, 0);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    // Another script stopped it (the intake form's "choose a duplicate first"): leave it be.
    if (e.defaultPrevented || !(form instanceof HTMLFormElement)) {
      return;
    }
    if (!enhanced(form, e.submitter) || !form.querySelector("[data-upload-panel]")) {
      return;
    }
    e.preventDefault();
    var upload = uploads.get(form);
    if (!upload) {
      upload = new Upload(form);
      uploads.set(form, upload);
    }
    if (upload.xhr) {
      return; // already on its way
    }
    upload.start(e.submitter);
  });
})();
