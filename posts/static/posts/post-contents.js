// A post's contents list (nav.toc: the article's own, or the one {{< toc >}} put in the body).
// On a wide screen it moves to a column beside the post and stays in view while reading, the
// section being read marked and only its subsections unfolded. On a narrow one it stays where it
// was, folded behind one line. A list of fewer than three sections is not shown. Without this
// script the list is shown whole where it is.
(function () {
  "use strict";
  const MIN_ENTRIES = 3;
  const article = document.querySelector("article.post");
  const toc = article && article.querySelector("nav.toc");
  if (!toc) return;
  const links = Array.from(toc.querySelectorAll('a[href^="#"]'));
  if (links.length < MIN_ENTRIES) {
    toc.hidden = true;
    return;
  }
  const main = article.parentElement;
  const heading = toc.querySelector("h2");
  const fold = document.createElement("details");
  fold.className = "contents";
  const summary = document.createElement("summary");
  summary.textContent = "Contents (" + links.length + " sections)";
  fold.append(summary);
  toc.before(fold);
  fold.append(toc);
  if (heading) heading.hidden = true;  // the summary names it
  const inline = document.createComment("contents");
  fold.before(inline);
  const side = document.createElement("aside");
  side.className = "post-side";
  side.setAttribute("aria-label", "Contents");

  // Each entry's level: the article's list says it in a class, the body's nests its lists.
  const entries = links.map(function (link) {
    const item = link.closest("li");
    const level = item.className.match(/toc-level-(\d)/);
    let depth = 0;
    for (let list = item.parentElement; list && list !== toc; list = list.parentElement) {
      if (list.tagName === "UL" || list.tagName === "OL") depth += 1;
    }
    return {
      link: link,
      item: item,
      level: level ? Number(level[1]) : depth + 1,
      target: document.getElementById(decodeURIComponent(link.hash.slice(1))),
    };
  }).filter(function (entry) { return entry.target; });
  const top = Math.min.apply(null, entries.map(function (entry) { return entry.level; }));

  const wide = window.matchMedia("(min-width: 75rem)");
  function place() {
    if (wide.matches) {
      if (!side.isConnected) main.append(side);
      side.append(fold);
      main.classList.add("with-side");
      fold.open = true;
    } else {
      inline.after(fold);
      side.remove();
      main.classList.remove("with-side");
      fold.open = false;
    }
    mark();
  }

  // Each entry's section: the top-level entry it comes under. Deeper entries show under it alone.
  let section = null;
  entries.forEach(function (entry) {
    if (entry.level === top) section = entry;
    entry.section = section;
  });

  // The section being read: the last heading above a line near the top of the screen.
  function mark() {
    let current = null;
    entries.forEach(function (entry) {
      if (entry.target.getBoundingClientRect().top <= 120) current = entry;
    });
    entries.forEach(function (entry) {
      const here = entry === current;
      entry.link.classList.toggle("is-current", here);
      if (here) entry.link.setAttribute("aria-current", "location");
      else entry.link.removeAttribute("aria-current");
      const folded = wide.matches && entry.level > top && (!current || entry.section !== current.section);
      entry.item.classList.toggle("is-folded", folded);
    });
  }

  let pending = false;
  window.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      mark();
    });
  }, {passive: true});
  wide.addEventListener("change", place);
  place();
})();
