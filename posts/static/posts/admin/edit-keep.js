// Never lose typing: the edit form (title, body, summary, tags, categories, message) is kept in
// this browser's localStorage as it is typed, keyed by the user's and the post's id ("new" for a
// new post): on a shared computer, one person is never offered another's text. Opened
// again with a kept copy that differs from what the server sent (after a crash, a closed tab, an
// expired session), the page offers to restore it or discard it. A save that made a new revision
// clears it. Leaving the page with changes not saved asks first; Delete and Unpublish ask too.
(function () {
  "use strict";
  const form = document.getElementById("post_form");
  const layout = document.querySelector(".edit-layout");
  if (!form || !layout) return;
  const key = "vdwiki:post-form:" + layout.dataset.keepKey;
  const keptStatus = document.getElementById("kept-status");
  const basedOn = form.querySelector("[name=based_on]");
  const FIELDS = ["title", "body", "written_summary", "tags", "message"];

  function field(name) {
    return form.querySelector("#id_" + name);
  }

  function categoriesField() {
    return form.querySelector("select#id_categories");
  }

  function snapshot() {
    const values = {};
    FIELDS.forEach(function (name) { values[name] = field(name) ? field(name).value : ""; });
    const categories = categoriesField();
    values.categories = categories
      ? Array.from(categories.selectedOptions).map(function (option) { return [option.value, option.textContent]; })
      : [];
    return values;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function read() {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function forget() {
    localStorage.removeItem(key);
  }

  function timeText(stamp) {
    return new Date(stamp).toLocaleString([], {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit"});
  }

  // What the server sent, to tell typing from the page as it came.
  let served = snapshot();
  const savedRevision = basedOn ? basedOn.value : "";
  let leaving = false;

  function keep() {
    const values = snapshot();
    if (same(values, served)) {
      forget();
      keptStatus.textContent = "";
      return;
    }
    const stamp = Date.now();
    try {
      localStorage.setItem(key, JSON.stringify({values: values, kept: stamp, basedOn: savedRevision, submitted: false}));
      keptStatus.textContent = "Not saved; kept in this browser at " + timeText(stamp);
    } catch (error) {
      keptStatus.textContent = "Not saved, and this browser could not keep a copy: save soon.";
    }
  }

  let timer = null;
  function keepSoon() {
    clearTimeout(timer);
    timer = setTimeout(keep, 300);
  }
  form.addEventListener("input", keepSoon);
  form.addEventListener("change", keepSoon);
  if (window.django && window.django.jQuery) window.django.jQuery(categoriesField()).on("change", keepSoon);
  window.addEventListener("pagehide", function () { if (timer) keep(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden" && timer) keep(); });

  form.addEventListener("submit", function () {
    clearTimeout(timer);
    keep();
    const kept = read();
    if (kept) {
      kept.submitted = true;
      localStorage.setItem(key, JSON.stringify(kept));
    }
    leaving = true;
  });

  function restore(values) {
    FIELDS.forEach(function (name) {
      const input = field(name);
      if (input && values[name] !== undefined) input.value = values[name];
    });
    const categories = categoriesField();
    if (categories && values.categories) {
      const chosen = new Set(values.categories.map(function (pair) { return pair[0]; }));
      values.categories.forEach(function (pair) {
        if (!Array.from(categories.options).some(function (option) { return option.value === pair[0]; })) {
          categories.append(new Option(pair[1], pair[0]));
        }
      });
      Array.from(categories.options).forEach(function (option) { option.selected = chosen.has(option.value); });
      if (window.django && window.django.jQuery) window.django.jQuery(categories).trigger("change");
    }
    ["body", "written_summary", "tags"].forEach(function (name) {
      if (field(name)) field(name).dispatchEvent(new Event("input", {bubbles: true}));
    });
    if (field("tags")) field("tags").dispatchEvent(new CustomEvent("tags:reload"));
  }

  function offer(kept) {
    const note = document.createElement("div");
    note.className = "kept-copy";
    note.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent = "This browser kept what you typed here at " + timeText(kept.kept) +
      ", which differs from the saved post. Restore it, or discard it?";
    const restoreButton = document.createElement("button");
    restoreButton.type = "button";
    restoreButton.textContent = "Restore what I typed";
    const discardButton = document.createElement("button");
    discardButton.type = "button";
    discardButton.textContent = "Discard it";
    restoreButton.addEventListener("click", function () {
      restore(kept.values);
      note.remove();
      keep();
      field("body").focus();
    });
    discardButton.addEventListener("click", function () {
      forget();
      note.remove();
    });
    note.append(text, restoreButton, discardButton);
    layout.before(note);
  }

  // A save that went through: the post has a newer revision than the copy was typed on, or (for a
  // new post) the page after the save says so. Either way the kept copy is in the database.
  function saved(kept, storeKey) {
    if (!kept.submitted) return false;
    if (storeKey.endsWith(":new")) return document.querySelector(".messagelist .success") !== null;
    return kept.basedOn !== savedRevision;
  }

  function checkKept() {
    const newKey = "vdwiki:post-form:new";
    if (key !== newKey) {
      const keptNew = JSON.parse(localStorage.getItem(newKey) || "null");
      if (keptNew && saved(keptNew, newKey) && keptNew.values.title === served.title) localStorage.removeItem(newKey);
    }
    const kept = read();
    if (!kept || !kept.values) return;
    if (same(kept.values, served) || (!key.endsWith(":new") && saved(kept, key))) {
      forget();
      return;
    }
    offer(kept);
  }

  // ---- Leaving: asked first when the form holds changes not saved.

  function unsaved() {
    return !same(snapshot(), served);
  }

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // ---- The workflow moves: Delete and Unpublish say what they do; a move leaves typing behind.

  const dialog = document.getElementById("confirm-dialog");
  const moves = document.getElementById("post-moves");
  const CONFIRMED = {
    delete: ["Delete this post?", "“%s” will be taken off the site: its address will answer “gone” (410) and it leaves every list. Its revisions are kept, and it can be undeleted.", "Delete"],
    unpublish: ["Unpublish this post?", "Readers will no longer see “%s”: its address will answer “not found” until it is published again. Its text is kept.", "Unpublish"],
  };

  function ask(heading, text, confirmLabel) {
    return new Promise(function (resolve) {
      dialog.querySelector("h2").textContent = heading;
      dialog.querySelector("#confirm-text").textContent = text;
      dialog.querySelector("button.confirm").textContent = confirmLabel;
      dialog.returnValue = "";
      dialog.addEventListener("close", function closed() {
        dialog.removeEventListener("close", closed);
        resolve(dialog.returnValue === "confirm");
      });
      dialog.showModal();
    });
  }

  if (moves && dialog) {
    moves.addEventListener("submit", function (event) {
      if (moves.dataset.confirmed) return;
      const submitter = event.submitter;
      const action = submitter ? submitter.value : "";
      const questions = [];
      if (CONFIRMED[action]) {
        const [heading, text, label] = CONFIRMED[action];
        questions.push([heading, text.replace("%s", moves.dataset.title), label]);
      }
      if (unsaved()) {
        questions.push(["Leave your changes unsaved?",
          "The changes you typed in the form are not saved; the move acts on the saved revision. " +
          "Use “Save and submit for review”, or save first. (A copy stays kept in this browser.)", "Move without them"]);
      }
      if (!questions.length) { leaving = true; return; }
      event.preventDefault();
      questions.reduce(function (chain, question) {
        return chain.then(function (yes) { return yes && ask(...question); });
      }, Promise.resolve(true)).then(function (yes) {
        if (!yes) { if (submitter) submitter.focus(); return; }
        moves.dataset.confirmed = "yes";
        leaving = true;
        moves.requestSubmit(submitter);
      });
    });
  }

  checkKept();
})();
