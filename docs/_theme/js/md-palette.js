// mkdocs-material's inline partials/javascripts/palette.html, as a file for the Content-Security-Policy:
// applies the visitor's light/dark choice (the toggle), or else the system's, before the page is painted.
// (The theme's own script only restores a stored choice; its bundle applies the system's later, a flash.)
(function () {
  var palette = __md_get("__palette");
  var color = palette && palette.color;
  if (!color || color.media === "(prefers-color-scheme)") {
    var input = Array.from(document.querySelectorAll("[data-md-color-media]"))
      .find((option) => matchMedia(option.getAttribute("data-md-color-media")).matches);
    if (!input) return;
    color = {
      media: input.getAttribute("data-md-color-media"),
      scheme: input.getAttribute("data-md-color-scheme"),
      primary: input.getAttribute("data-md-color-primary"),
      accent: input.getAttribute("data-md-color-accent"),
    };
  }
  for (var [key, value] of Object.entries(color)) document.body.setAttribute("data-md-color-" + key, value);
})();
