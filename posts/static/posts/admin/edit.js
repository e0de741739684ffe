// The edit page's editor: its toolbar and shortcuts, uploads (button, drop, paste) inserted on
// their own line with alt text, the "link to a post" dialog, the preview kept in step with the
// source's scroll, the Write/Preview toggle on narrow screens, and "copy link". Without this
// script the page is a plain form that still saves.
(function () {
  "use strict";
  const editor = document.getElementById("id_body");
  const box = editor && editor.closest(".markdownx");
  const preview = box && box.querySelector(".markdownx-preview");
  const script = document.getElementById("edit-script");
  setUpCopyLink();
  setUpSummaryCounter();
  setUpTitle();
  if (!editor || !box || !preview) return;
  const csrf = document.querySelector("#post_form input[name=csrfmiddlewaretoken]");

  // ---- Changing the text: through the browser's editing, so that Undo works and "input" fires.

  function replaceSelection(text, selectFrom, selectTo) {
    editor.focus();
    const start = editor.selectionStart;
    if (!document.execCommand("insertText", false, text)) {
      editor.setRangeText(text, editor.selectionStart, editor.selectionEnd, "end");
      editor.dispatchEvent(new Event("input", {bubbles: true}));
    }
    if (selectFrom !== undefined) editor.setSelectionRange(start + selectFrom, start + selectTo);
  }

  function selected() {
    return editor.value.slice(editor.selectionStart, editor.selectionEnd);
  }

  function wrap(mark, placeholder) {
    const text = selected() || placeholder;
    replaceSelection(mark + text + mark, mark.length, mark.length + text.length);
  }

  // A block (an image, a table) on its own lines, a blank line before and after it.
  function insertBlock(block) {
    const before = editor.value.slice(0, editor.selectionStart);
    const after = editor.value.slice(editor.selectionEnd);
    const lead = before === "" || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
    const trail = after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
    replaceSelection(lead + block + trail);
  }

  // An upload's placeholder replaced by its Markdown, the cursor kept where the writer is. With the
  // editor in use, through the browser's editing (Undo); else in place, leaving the focus where it
  // is (a dialog, the title, the tags) and shifting the cursor a dialog will give back. False when
  // the placeholder is no longer in the text (undone, deleted, typed into).
  function replacePlaceholder(placeholder, text) {
    const at = editor.value.indexOf(placeholder);
    if (at < 0) return false;
    const after = at + placeholder.length;
    const moved = function (position) { return position >= after ? position + text.length - placeholder.length : position; };
    if (document.activeElement !== editor) {
      editor.setRangeText(text, at, after, "preserve");
      editor.dispatchEvent(new Event("input", {bubbles: true}));
      if (dialogOpen) dialogOpen.selection = dialogOpen.selection.map(moved);
      return true;
    }
    const start = editor.selectionStart;
    const end = editor.selectionEnd;
    editor.setSelectionRange(at, after);
    replaceSelection(text);
    editor.setSelectionRange(moved(start), moved(end));
    return true;
  }

  function selectWholeLines() {
    const value = editor.value;
    const start = value.lastIndexOf("\n", editor.selectionStart - 1) + 1;
    let end = value.indexOf("\n", Math.max(editor.selectionEnd - (editor.selectionEnd > editor.selectionStart ? 1 : 0), start));
    if (end === -1) end = value.length;
    editor.setSelectionRange(start, end);
  }

  function heading() {
    selectWholeLines();
    const line = selected();
    const level = (line.match(/^#{1,6} /) || [""])[0].length - 1;
    const text = line.replace(/^#{1,6} /, "");
    // ## → ### → #### → plain text → ## again
    const next = level < 0 ? "## " : level >= 4 ? "" : "#".repeat(level + 1) + " ";
    replaceSelection(next + text, next.length, next.length + text.length);
  }

  function list(numbered) {
    selectWholeLines();
    const lines = selected().split("\n");
    const text = lines.map(function (line, n) {
      return (numbered ? n + 1 + ". " : "- ") + line.replace(/^(\s*)([-*+]|\d+\.) /, "$1");
    }).join("\n");
    replaceSelection(text);
  }

  function link() {
    const text = selected() || "link text";
    const url = "https://";
    replaceSelection("[" + text + "](" + url + ")", text.length + 3, text.length + 3 + url.length);
  }

  function table() {
    insertBlock("| Column | Column |\n| ------ | ------ |\n| Cell   | Cell   |");
  }

  function markdownText(text) {
    return text.replace(/\s+/g, " ").trim().replace(/([[\]\\])/g, "\\$1");
  }

  // ---- Dialogs: one at a time, modal, closed with Escape; focus and the cursor go back to the editor.
  // The answer is acted on as the dialog closes, not on its "close" event: that comes a task later,
  // and what is typed in between would land before the inserted text, or where the cursor was put.

  let dialogOpen = null;  // {selection: the editor's, to give back; closed: a promise}

  function openDialog(dialog, onClose) {
    const form = dialog.querySelector("form");
    let closed;
    const open = {selection: [editor.selectionStart, editor.selectionEnd], closed: new Promise(function (resolve) { closed = resolve; })};
    dialogOpen = open;
    // `cursorMoved`: the editor had its focus back before the answer, the cursor is where the writer put it.
    function finish(answer, cursorMoved) {
      if (dialogOpen !== open) return;  // answered already
      form.removeEventListener("submit", submitted);
      dialog.removeEventListener("cancel", cancelled);
      dialog.removeEventListener("close", closedElsewhere);
      if (dialog.open) dialog.close(answer);
      dialogOpen = null;
      editor.focus();
      if (!cursorMoved) editor.setSelectionRange(open.selection[0], open.selection[1]);
      onClose(answer);
      closed();
    }
    function submitted(event) {
      event.preventDefault();
      finish(event.submitter ? event.submitter.value : "");
    }
    function cancelled() { finish("cancel"); }
    function closedElsewhere() {
      // The "close" event of its last opening (answered already) arrives once it is open again
      // for the next file's alt text: it is not this one's.
      if (dialog.open) return;
      finish(dialog.returnValue, document.activeElement === editor);
    }
    form.addEventListener("submit", submitted);
    dialog.addEventListener("cancel", cancelled);
    dialog.addEventListener("close", closedElsewhere);
    dialog.returnValue = "";
    dialog.showModal();
    return finish;
  }

  // Settles once no dialog is open, to open the next.
  function noDialogOpen() {
    return dialogOpen ? dialogOpen.closed.then(noDialogOpen) : Promise.resolve();
  }

  // ---- Uploads: a file is sent at once while its alt text is asked for, then inserted.

  const uploadStatus = document.createElement("span");
  uploadStatus.className = "upload-status";
  uploadStatus.setAttribute("role", "status");
  const picker = document.createElement("input");
  picker.type = "file";
  picker.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf";
  picker.multiple = true;
  picker.hidden = true;
  picker.id = "upload-picker";
  picker.addEventListener("change", function () {
    uploadAll(picker.files);
    picker.value = "";
  });
  const altDialog = document.getElementById("alt-dialog");
  const altText = document.getElementById("alt-text");
  let queue = Promise.resolve();
  let uploading = 0;  // files dropped, pasted or picked and not in the text yet: asked about, or uploading
  let placed = 0;  // placeholders put in the text, to tell apart two of the same file and moment
  const settled = new Map();  // the placeholders of uploads done, and their Markdown: Undo can bring one back

  // A save while a file uploads would store its placeholder instead of the file's Markdown, or leave
  // out a file whose alt text is being asked: it waits. Before the form's own listeners
  // (edit-keep.js), which would take it for a departure.
  document.addEventListener("submit", function (event) {
    if (event.target !== editor.form) return;
    settled.forEach(function (text, placeholder) { replacePlaceholder(placeholder, text); });
    if (!uploading) return;
    event.preventDefault();
    event.stopPropagation();
    uploadStatus.textContent = "Not saved yet: " + (uploading === 1 ? "a file is" : uploading + " files are") +
      " still uploading. Save again once " + (uploading === 1 ? "it is" : "they are") + " in.";
  }, true);

  // Every file is sent at once, and its alt text asked for straight after the drop, one file after
  // another: a dialog opening later, when an upload is done, would take what the writer types then.
  function uploadAll(files) {
    Array.from(files).forEach(function (file) {
      uploading += 1;
      uploadStatus.textContent = "Uploading " + file.name + "…";
      const sent = send(file);
      sent.catch(function () {});  // reported once its alt text is answered
      queue = queue.then(function () { return insertWhenSent(file, sent); });
    });
  }

  function send(file) {
    const data = new FormData();
    data.append("image", file);
    return fetch(editor.dataset.markdownxUploadUrlsPath, {
      method: "POST",
      body: data,
      headers: {"X-CSRFToken": csrf ? csrf.value : ""},
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok || !answer.url || !answer.image_code) throw new Error((answer.image || ["The upload failed (" + response.status + ")."]).join(" "));
        return answer;
      });
    });
  }

  // Settles once the file's alt text is answered; its upload may go on.
  function insertWhenSent(file, sent) {
    return noDialogOpen().then(function () {
      return new Promise(function (answered) {
        askAltText(file, function (alt) {
          answered();
          if (alt === null) {
            uploadStatus.textContent = file.name + " not inserted.";
            uploading -= 1;
            return;
          }
          // A placeholder at once, replaced by the file's Markdown when its upload is done (typing
          // may go on meanwhile).
          const placeholder = "![Uploading " + markdownText(file.name) + " " + Date.now() + "-" + (placed += 1) + "…]()";
          insertBlock(placeholder);
          sent.then(function (uploaded) {
            const image = uploaded.image_code.startsWith("!");
            settled.set(placeholder, image ? "![" + alt + "](" + uploaded.url + ")" : "[" + alt + " (PDF)](" + uploaded.url + ")");
            uploadStatus.textContent = file.name + (replacePlaceholder(placeholder, settled.get(placeholder))
              ? " inserted." : " not inserted: its placeholder is no longer in the text.");
          }, function (error) {
            settled.set(placeholder, "");
            replacePlaceholder(placeholder, "");
            uploadStatus.textContent = error.message;
          }).then(function () {
            uploading -= 1;
          });
        });
      });
    });
  }

  // The alt text (or a PDF's name) asked for; `answered` gets it as Markdown text, or null.
  function askAltText(file, answered) {
    const isPdf = file.type === "application/pdf";
    altDialog.querySelector(".dialog-file").textContent = file.name + (isPdf ? " (PDF)" : "");
    altDialog.querySelector("h2").textContent = isPdf ? "Name the PDF" : "Describe the image";
    altText.value = file.name.replace(/\.[^.]+$/, "").replace(/[-_]+/g, " ");
    openDialog(altDialog, function (answer) {
      answered(answer === "insert" ? markdownText(altText.value) || "image" : null);
    });
    altText.select();
  }

  // Ahead of markdownx's own handlers (on the editor), which would glue the Markdown to the text.
  function filesOf(transfer) {
    return transfer && transfer.files && transfer.files.length ? transfer.files : null;
  }
  box.addEventListener("drop", function (event) {
    const files = filesOf(event.dataTransfer);
    box.classList.remove("drop-target");
    if (!files) return;
    event.preventDefault();
    event.stopPropagation();
    uploadAll(files);
  }, true);
  box.addEventListener("paste", function (event) {
    const files = filesOf(event.clipboardData);
    if (!files) return;
    event.preventDefault();
    event.stopPropagation();
    uploadAll(files);
  }, true);
  box.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) box.classList.add("drop-target");
  });
  box.addEventListener("dragleave", function () { box.classList.remove("drop-target"); });

  // ---- Link to a post: titles found as you type.

  const linkDialog = document.getElementById("post-link-dialog");
  const search = document.getElementById("post-link-search");
  const results = document.getElementById("post-link-results");
  const linkStatus = linkDialog.querySelector(".dialog-status");
  let found = [];
  let active = -1;
  let asked = "";
  let timer = null;
  let closeLinkDialog = null;

  function showActive() {
    Array.from(results.children).forEach(function (option, n) {
      option.setAttribute("aria-selected", n === active ? "true" : "false");
      if (n === active) option.scrollIntoView({block: "nearest"});
    });
    if (active >= 0) search.setAttribute("aria-activedescendant", "post-link-option-" + active);
    else search.removeAttribute("aria-activedescendant");
  }

  function showFound(posts) {
    found = posts;
    active = posts.length ? 0 : -1;
    results.replaceChildren(...posts.map(function (post, n) {
      const option = document.createElement("li");
      option.id = "post-link-option-" + n;
      option.setAttribute("role", "option");
      option.textContent = post.title;
      const state = document.createElement("small");
      state.textContent = post.state;
      option.append(state);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { pick(n); });
      return option;
    }));
    search.setAttribute("aria-expanded", posts.length ? "true" : "false");
    linkStatus.textContent = posts.length ? posts.length + " found: ↑ ↓ choose, Enter inserts." : "No post has these words in its title.";
    showActive();
  }

  function find() {
    const words = search.value.trim();
    if (words === asked) return;
    asked = words;
    if (!words) { showFound([]); return; }
    fetch(script.dataset.titlesUrl + "?q=" + encodeURIComponent(words), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {posts: []}; })
      .then(function (data) { if (words === asked) showFound(data.posts); })
      .catch(function () { linkStatus.textContent = "The search failed; try again."; });
  }

  function pick(n) {
    const post = found[n];
    if (!post) return;
    closeLinkDialog("insert", post);
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(find, 150);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!found.length) return;
      active = (active + (event.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
      showActive();
    } else if (event.key === "Escape") {
      event.preventDefault();  // a search field's Escape would only empty it
      closeLinkDialog("cancel");
    } else if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      if (search.value.trim() !== asked) { find(); return; }
      pick(active);
    }
  });

  function linkToPost() {
    search.value = "";
    asked = "";
    showFound([]);
    linkStatus.textContent = "Type words of the title; ↑ ↓ choose, Enter inserts, Escape closes.";
    let picked = null;
    const finish = openDialog(linkDialog, function (answer) {
      if (answer === "insert" && picked) replaceSelection("[" + markdownText(picked.title) + "](" + picked.url + ")");
    });
    closeLinkDialog = function (answer, post) {
      picked = post || null;
      finish(answer);
    };
    search.focus();
  }

  // ---- The toolbar, each button with its shortcut.

  const TOOLS = [
    {name: "Heading", label: "H", keys: "Control+Shift+H", code: "KeyH", shift: true, run: heading},
    {name: "Bold", label: "B", keys: "Control+B", code: "KeyB", run: function () { wrap("**", "bold text"); }},
    {name: "Italic", label: "I", keys: "Control+I", code: "KeyI", run: function () { wrap("*", "italic text"); }},
    {name: "Link", label: "Link", keys: "Control+K", code: "KeyK", run: link},
    null,
    {name: "Bulleted list", label: "• List", keys: "Control+Shift+8", code: "Digit8", shift: true, run: function () { list(false); }},
    {name: "Numbered list", label: "1. List", keys: "Control+Shift+7", code: "Digit7", shift: true, run: function () { list(true); }},
    {name: "Table", label: "Table", keys: "Control+Shift+E", code: "KeyE", shift: true, run: table},
    null,
    {name: "Upload an image or PDF", label: "Image/PDF", keys: "Control+Shift+G", code: "KeyG", shift: true, run: function () { picker.click(); }},
    {name: "Link to a post", label: "Link to post", keys: "Control+Shift+K", code: "KeyK", shift: true, run: linkToPost},
  ];

  const toolbar = document.createElement("div");
  toolbar.className = "edit-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Formatting");
  toolbar.setAttribute("aria-controls", editor.id);
  TOOLS.forEach(function (tool) {
    if (!tool) {
      const separator = document.createElement("span");
      separator.className = "separator";
      separator.setAttribute("role", "separator");
      toolbar.append(separator);
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = tool.label;
    button.setAttribute("aria-label", tool.name);
    button.setAttribute("aria-keyshortcuts", tool.keys);
    button.title = tool.name + " (" + tool.keys.replace("Control", "Ctrl") + ")";
    button.addEventListener("click", tool.run);
    toolbar.append(button);
  });
  toolbar.append(uploadStatus, picker);

  let tabLeaves = false;  // markdownx keeps Tab for indenting; after Escape, Tab leaves the editor
  box.addEventListener("keydown", function (event) {
    if (event.target !== editor) return;
    if (event.key === "Escape") { tabLeaves = true; return; }
    if (event.key === "Tab" && tabLeaves) { event.stopPropagation(); tabLeaves = false; return; }
    tabLeaves = false;
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const tool = TOOLS.find(function (tool) {
      return tool && tool.code === event.code && Boolean(tool.shift) === event.shiftKey;
    });
    if (!tool) return;
    event.preventDefault();
    event.stopPropagation();
    tool.run();
  }, true);
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.code === "KeyS") {
      event.preventDefault();
      document.querySelector(".edit-save").click();
    }
  });

  // ---- Write / Preview on narrow screens; the preview follows the source's scroll.

  const views = document.createElement("div");
  views.className = "edit-views";
  views.setAttribute("role", "group");
  views.setAttribute("aria-label", "Show");
  ["Write", "Preview"].forEach(function (label) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.dataset.view = label.toLowerCase();
    button.addEventListener("click", function () { show(button.dataset.view); });
    views.append(button);
  });
  function show(view) {
    box.dataset.view = view;
    views.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.view === view ? "true" : "false");
    });
  }
  box.classList.add("is-toggled");
  show("write");
  box.prepend(views, toolbar);

  function follow() {
    const room = editor.scrollHeight - editor.clientHeight;
    const ratio = room > 0 ? editor.scrollTop / room : 0;
    preview.scrollTop = ratio * (preview.scrollHeight - preview.clientHeight);
  }
  editor.addEventListener("scroll", follow, {passive: true});
  box.addEventListener("markdownx.update", follow);

  // ---- The title: a text area so that a long one shows whole, yet one line: Enter goes on to the body.

  function setUpTitle() {
    const title = document.getElementById("id_title");
    if (!title || title.tagName !== "TEXTAREA") return;
    title.addEventListener("keydown", function (event) {
      // An Enter that ends a composition (Japanese, Chinese input) confirms the word typed.
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      if (editor) editor.focus();
    });
  }

  // ---- The summary's length against what it may hold, as it is typed.

  function setUpSummaryCounter() {
    const summary = document.getElementById("id_written_summary");
    if (!summary || summary.maxLength < 1) return;
    const counter = document.createElement("p");
    counter.className = "summary-count";
    counter.id = "summary-count";
    counter.setAttribute("aria-live", "polite");
    summary.setAttribute("aria-describedby", counter.id);
    summary.after(counter);
    function count() {
      const left = summary.maxLength - summary.value.length;
      counter.textContent = summary.value.length + " / " + summary.maxLength + " characters";
      counter.classList.toggle("is-near", left <= 20);
    }
    summary.addEventListener("input", count);
    count();
  }

  // ---- Copy the post's public link as Markdown or HTML.

  function setUpCopyLink() {
    const place = document.querySelector(".copy-link");
    if (!place || !navigator.clipboard) return;
    const status = place.querySelector(".copy-link-status");
    place.querySelectorAll("button").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        const title = place.dataset.title;
        const url = place.dataset.url;
        const text = button.dataset.format === "html"
          ? '<a href="' + escapeHtml(url) + '">' + escapeHtml(title) + "</a>"
          : "[" + title.replace(/([[\]\\])/g, "\\$1") + "](" + url + ")";
        navigator.clipboard.writeText(text).then(
          function () { status.textContent = "Copied: " + text; },
          function () { status.textContent = "The browser did not allow copying."; }
        );
      });
    });
  }

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
})();
