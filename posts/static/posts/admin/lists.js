// The admin's lists: filters as drop-downs with a filter box, and the buttons copying a post's link.
(function () {
  "use strict";

  // A filter's drop-down goes to the page of the chosen option; the filter box narrows a long one.
  document.querySelectorAll(".select-filter").forEach(function (filter) {
    const select = filter.querySelector("select");
    const box = filter.querySelector(".filter-box");
    select.hidden = false;
    filter.classList.add("ready");
    // A mouse's choice applies at once; a keyboard's, once confirmed with Enter or left with Tab,
    // so that arrowing through the options does not load a page for each.
    const initial = select.value;
    let typed = false;
    function apply() {
      if (select.value !== initial) window.location.search = select.value;
    }
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        apply();
      } else {
        typed = true;
      }
    });
    select.addEventListener("change", function () {
      if (!typed) apply();
    });
    select.addEventListener("blur", function () {
      if (typed) apply();
    });
    if (!box) return;
    box.hidden = false;
    box.addEventListener("input", function () {
      const words = box.value.trim().toLowerCase();
      Array.from(select.options).forEach(function (option, index) {
        const shown = index === 0 || option.text.toLowerCase().includes(words);
        option.hidden = !shown;
      });
      select.size = words ? Math.min(8, Math.max(2, select.querySelectorAll("option:not([hidden])").length)) : 0;
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  });

  // A post's link as Markdown or HTML, to the clipboard.
  function markdownLink(title, url) {
    return "[" + title.replace(/([\\\[\]])/g, "\\$1") + "](" + url + ")";
  }
  function htmlLink(title, url) {
    const anchor = document.createElement("a");
    anchor.href = url;
    anchor.textContent = title;
    return anchor.outerHTML;
  }
  document.querySelectorAll(".copy-link").forEach(function (holder) {
    holder.hidden = !navigator.clipboard;
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest(".copy-link button");
    if (!button) return;
    const holder = button.closest(".copy-link");
    const url = new URL(holder.dataset.path, window.location.origin).href;
    const title = holder.dataset.title;
    const text = button.dataset.format === "HTML" ? htmlLink(title, url) : markdownLink(title, url);
    navigator.clipboard.writeText(text).then(function () {
      const label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 1500);
    });
  });
})();
