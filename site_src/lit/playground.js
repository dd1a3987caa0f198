// The playground's whole program: it uses only the standalone library (window.lit).
const out = document.getElementById('playground-output');
const status = document.getElementById('playground-status');
const say = (text) => { status.textContent = text; };

async function main() {
  lit.setBaseUrl(new URL('../', document.baseURI).href);  // the folder that contains data/
  const images = await new lit.ImageData().load();
  const model = new lit.Model('tiny');
  await model.load((fraction, what) => say(`loading ${what}: ${Math.round(fraction * 100)}%`));
  say('ready');
  const texts = ['a red circle', 'a blue square', 'three green triangles'];
  for (let i = 0; i < images.length; i++) {
    const probs = await model.computeProbabilities(texts, i);
    const row = document.createElement('li');
    row.dataset.testid = 'playground-result';
    row.textContent = `${images.infos[i].id}: ` +
      texts.map((t, k) => `${t} ${(100 * probs[k]).toFixed(1)}%`).join(', ');
    out.append(row);
  }
}

main().catch((err) => say(`error: ${err.message}`));
