// The globals the mkdocs theme's base.js and search expect, read from this script tag's data
// attributes because the Content-Security-Policy forbids the theme's inline <script>.
var base_url = document.currentScript.dataset.baseUrl;
var shortcuts = JSON.parse(document.currentScript.dataset.shortcuts);
