// The tags page's filter box: as a reader types, only the tags holding the text stay shown (case
// and accents aside), and the initials with none left are hidden. Without this script the page is
// the whole list, with its index of initials.
(function () {
  "use strict";
  const box = document.querySelector(".tag-filter");
  const input = document.getElementById("tag-filter");
  if (!box || !input) return;
  const count = box.querySelector(".tag-filter-count");
  const groups = Array.from(document.querySelectorAll(".tag-group"));
  const letters = document.querySelector(".initials");

  function folded(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  const items = groups.map(function (group) {
    return Array.from(group.querySelectorAll("li")).map(function (item) {
      return {item: item, name: folded(item.querySelector("a").textContent)};
    });
  });

  function filter() {
    const wanted = folded(input.value.trim());
    let shown = 0;
    groups.forEach(function (group, n) {
      let inGroup = 0;
      items[n].forEach(function (entry) {
        const match = !wanted || entry.name.includes(wanted);
        entry.item.hidden = !match;
        if (match) inGroup += 1;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    if (letters) letters.hidden = Boolean(wanted);
    count.textContent = wanted ? shown + (shown === 1 ? " tag" : " tags") : "";
  }

  box.hidden = false;
  input.addEventListener("input", filter);
})();
