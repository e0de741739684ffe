// The tags field as chips: type a tag, pick a suggestion (existing tags, the most used first) or
// press Enter or a comma to make it a chip; Backspace in the empty entry removes the last chip.
// Tags are the same whatever their case. The original field, hidden, still posts the tags in
// taggit's format (names holding a comma or a space quoted), so the form saves without this script.
(function () {
  "use strict";
  const field = document.getElementById("id_tags");
  const script = document.getElementById("tag-names-script");
  if (!field || !script || field.type === "hidden") return;
  const url = script.dataset.url;

  // taggit's format: comma-separated, names quoted when they hold a comma or a space; a value with
  // neither commas nor quotes is separated by spaces.
  function parse(text) {
    if (!text.includes(",") && !text.includes('"')) return text.split(/\s+/).filter(Boolean);
    const names = [];
    let name = "";
    let quoted = false;
    for (const character of text) {
      if (character === '"') quoted = !quoted;
      else if (character === "," && !quoted) { names.push(name); name = ""; }
      else name += character;
    }
    names.push(name);
    return names.map(function (each) { return each.trim(); }).filter(Boolean);
  }

  function format(names) {
    return names.map(function (name) {
      return name.includes(",") || name.includes(" ") ? '"' + name.replace(/"/g, "") + '"' : name;
    }).join(", ");
  }

  let tags = [];
  const box = document.createElement("div");
  box.className = "tag-chips";
  const chips = document.createElement("ul");
  chips.className = "chips";
  chips.setAttribute("aria-label", "Tags of this post");
  const entry = document.createElement("input");
  entry.type = "text";
  entry.id = "id_tags-entry";
  entry.className = "tag-entry";
  entry.autocomplete = "off";
  entry.setAttribute("role", "combobox");
  entry.setAttribute("aria-autocomplete", "list");
  entry.setAttribute("aria-expanded", "false");
  entry.setAttribute("aria-controls", "tag-suggestions");
  entry.setAttribute("aria-describedby", "tag-entry-help");
  const help = document.createElement("span");
  help.id = "tag-entry-help";
  help.hidden = true;
  help.textContent = "Enter or a comma adds a tag; Backspace in the empty box removes the last one.";
  const list = document.createElement("ul");
  list.id = "tag-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Existing tags");
  list.hidden = true;
  box.append(chips, entry, list, help);
  field.hidden = true;
  field.after(box);
  const fieldHelp = document.querySelector("#id_tags_helptext div");
  if (fieldHelp) fieldHelp.textContent = "Enter or a comma adds a tag; Backspace in the empty box removes the last one.";
  const label = document.querySelector("label[for=id_tags]");
  if (label) label.htmlFor = entry.id;

  function has(name) {
    const lower = name.toLowerCase();
    return tags.some(function (tag) { return tag.toLowerCase() === lower; });
  }

  function render() {
    chips.replaceChildren(...tags.map(function (name, n) {
      const chip = document.createElement("li");
      chip.className = "chip";
      const text = document.createElement("span");
      text.textContent = name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", "Remove tag " + name);
      remove.addEventListener("click", function () {
        tags.splice(n, 1);
        changed();
        entry.focus();
      });
      chip.append(text, remove);
      return chip;
    }));
  }

  function changed() {
    field.value = format(tags);
    render();
    field.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function add(name) {
    name = name.replace(/"/g, "").trim();
    if (!name) return;
    const existing = suggestions.find(function (suggestion) { return suggestion.toLowerCase() === name.toLowerCase(); });
    if (!has(name)) tags.push(existing || name);
    changed();
  }

  // ---- Suggestions

  let suggestions = [];
  let active = -1;
  let asked = "";
  let timer = null;

  function showSuggestions(names) {
    suggestions = names.filter(function (name) { return !has(name); });
    active = -1;
    list.replaceChildren(...suggestions.map(function (name, n) {
      const option = document.createElement("li");
      option.setAttribute("role", "option");
      option.id = "tag-suggestion-" + n;
      option.setAttribute("aria-selected", "false");
      option.textContent = name;
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(name); });
      return option;
    }));
    list.hidden = suggestions.length === 0;
    entry.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    entry.removeAttribute("aria-activedescendant");
  }

  function showActive() {
    Array.from(list.children).forEach(function (option, n) {
      option.setAttribute("aria-selected", n === active ? "true" : "false");
    });
    if (active >= 0) entry.setAttribute("aria-activedescendant", "tag-suggestion-" + active);
  }

  function choose(name) {
    add(name);
    entry.value = "";
    asked = "";
    showSuggestions([]);
    entry.focus();
  }

  function suggest() {
    const term = entry.value.trim();
    if (term === asked) return;
    asked = term;
    if (!term) { showSuggestions([]); return; }
    fetch(url + "?q=" + encodeURIComponent(term), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {tags: []}; })
      .then(function (data) { if (term === asked) showSuggestions(data.tags); })
      .catch(function () {});
  }

  entry.addEventListener("input", function (event) {
    event.stopPropagation();  // the form's own field is what is kept and posted
    if (entry.value.includes(",")) {
      const parts = entry.value.split(",");
      entry.value = parts.pop();
      parts.forEach(add);
    }
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  entry.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();  // not a submit of the whole form
      choose(active >= 0 ? suggestions[active] : entry.value);
    } else if (event.key === "Backspace" && entry.value === "" && tags.length) {
      tags.pop();
      changed();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && suggestions.length) {
      event.preventDefault();
      const count = suggestions.length;
      active = event.key === "ArrowDown" ? (active + 1) % count : (active <= 0 ? count - 1 : active - 1);
      showActive();
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      showSuggestions([]);
    }
  });
  entry.addEventListener("blur", function () {
    if (entry.value.trim()) add(entry.value);
    entry.value = "";
    asked = "";
    showSuggestions([]);
  });
  field.form.addEventListener("submit", function () {
    if (entry.value.trim()) add(entry.value);
  });
  // Set from elsewhere (a kept copy restored): read the field again.
  field.addEventListener("tags:reload", function () {
    tags = parse(field.value);
    render();
  });

  tags = parse(field.value);
  render();
})();
