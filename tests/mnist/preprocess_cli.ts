// Test helper: run site_src/components/sketchpad_preprocess.ts on stroke sets read from stdin (JSON) and
// print the rasters' sums and the 28x28 results, so Python can compare with its own version.
import {readFileSync} from 'node:fs';
import {Point, preprocess, rasterizeStrokes} from '../../site_src/components/sketchpad_preprocess';

interface Case { strokes: Point[][]; size: number; radius: number }

const request = JSON.parse(readFileSync(0, 'utf8')) as {cases: Case[]};
const results = request.cases.map((c) => {
  const raster = rasterizeStrokes(c.strokes, c.size, c.radius);
  let sum = 0;
  for (const v of raster.pixels) sum += v;
  const field = preprocess(raster.pixels, raster.size, raster.size);
  return {raster_sum: sum, field: field ? Array.from(field) : null};
});
process.stdout.write(JSON.stringify({results}));
