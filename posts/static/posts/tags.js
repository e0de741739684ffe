// Suggestions for the tags field (a comma-separated list): existing tags that match the term
// being typed, offered through a <datalist> as the whole field with that term completed.
(function () {
  "use strict";
  const field = document.getElementById("id_tags");
  const url = document.getElementById("tag-names-script").dataset.url;
  if (!field) return;
  const list = document.createElement("datalist");
  list.id = "tag-suggestions";
  field.after(list);
  field.setAttribute("list", list.id);
  field.setAttribute("autocomplete", "off");
  let asked = "";
  field.addEventListener("input", function () {
    const cut = field.value.lastIndexOf(",") + 1;
    const before = field.value.slice(0, cut);
    const term = field.value.slice(cut).trim();
    if (term === asked) return;
    asked = term;
    if (!term) { list.replaceChildren(); return; }
    fetch(url + "?q=" + encodeURIComponent(term), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {tags: []}; })
      .then(function (data) {
        if (term !== asked) return;
        list.replaceChildren(...data.tags.map(function (name) {
          const option = document.createElement("option");
          const quoted = name.includes(",") || name.includes(" ") ? '"' + name + '"' : name;
          option.value = (before ? before.trimEnd() + " " : "") + quoted + ", ";
          option.label = name;
          return option;
        }));
      })
      .catch(function () {});
  });
})();
