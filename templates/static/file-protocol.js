// Opened from disk (file://), a page cannot run: browsers refuse module scripts and fetch() for
// file: addresses, so it would sit at "Loading…" for ever. This classic script (the one kind a
// file: page still runs) says so and prints the command that serves the site's folder.
'use strict';
(() => {
  if (location.protocol !== 'file:') return;
  let root = '';
  try {
    root = JSON.parse(document.getElementById('page-config').textContent).root || '';
  } catch {
    // no page config: this page sits at the site's root
  }
  let folder = decodeURIComponent(new URL(root || './', location.href).pathname).replace(/\/$/, '');
  if (/^\/[A-Za-z]:\//.test(folder)) folder = folder.slice(1); // Windows: /C:/site -> C:/site
  const quoted = /^[\w@%+=:,./-]+$/.test(folder) ? folder : "'" + folder.replace(/'/g, "'\\''") + "'";
  const box = document.createElement('div');
  box.className = 'file-protocol';
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'file-protocol';
  const text = (tag, content) => {
    const element = document.createElement(tag);
    element.textContent = content;
    return element;
  };
  const command = text('pre', '');
  command.append(text('code', 'python -m builders.serve --dir ' + quoted));
  const hint = document.createElement('p');
  hint.append('Use the Python the site was built with (e.g. ', text('code', '.venv/bin/python'), '), or ',
    text('code', 'make serve'), ' in the project, then open the address it prints; the build\'s last line ' +
    'prints the exact command. Any static web server for this folder works too.');
  box.append(text('h2', 'Serve this site to use it'),
    text('p', 'This page was opened as a file (' + location.protocol + '//), and browsers do not run its ' +
      'scripts or load its models from files. Serve the site\'s folder over http:'), command, hint);
  const main = document.querySelector('main') || document.body;
  main.prepend(box);
  for (const status of document.querySelectorAll('[data-testid="status"]')) {
    status.textContent = 'Not started: this page was opened as a file (see above).';
  }
})();
