/**
 * The standalone LiT library (`lit/exports_bin.js`): sets `window.lit` so a plain page can do
 *   lit.setBaseUrl('https://example.org/some/site/');   // the folder that contains data/
 *   const model = new lit.Model('tiny');
 *   await model.load((fraction, what) => ...);
 *   const probs = await model.computeProbabilities(['a red circle', 'a blue square'], 0);
 */
import {getImageUrl, ImageData, Model, setBaseUrl} from './model';

declare global {
  interface Window {
    lit: {Model: typeof Model; ImageData: typeof ImageData; getImageUrl: typeof getImageUrl;
      setBaseUrl: typeof setBaseUrl};
  }
}

window.lit = {Model, ImageData, getImageUrl, setBaseUrl};
