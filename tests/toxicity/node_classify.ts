/**
 * Runs the site's real `toxicity` module (TypeScript, TF.js CPU backend) under Node for the
 * Python tests. Reads one JSON job on stdin and writes one JSON result on stdout.
 *
 * Job: {source, modelDir, dataFile, texts, threshold, labels, tokensOnly?, spmVocab?, reserved?}
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {load} from '../../site_src/toxicity/toxicity';
import {UnigramTokenizer, Vocabulary} from '../../site_src/toxicity/sentencepiece';
import {TfidfVectorizer, VectorizerSpec} from '../../site_src/toxicity/vectorizer';
import {KerasTokenizer, KerasTokenizerSpec} from '../../site_src/toxicity/keras_tokenizer';

interface Job {
  mode: 'classify' | 'vectorize' | 'spm' | 'lower' | 'keras';
  source?: 'toxblock' | 'embedded' | 'official';
  modelDir?: string;
  dataFile?: string;
  texts: string[];
  threshold?: number;
  labels?: string[];
  reserved?: number;
}

const BASE = 'http://files.invalid/';

/** fetch() over local files, so TF.js's normal HTTP loader reads the model from disk. */
function fileFetch(root: string): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    if (!url.startsWith(BASE)) throw new Error(`unexpected URL ${url}`);
    const body = readFileSync(join(root, url.slice(BASE.length)));
    return new Response(body, {status: 200});
  }) as typeof fetch;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(0, 'utf8')) as Job;
  let result: unknown;
  if (job.mode === 'vectorize') {
    const vectorizer = new TfidfVectorizer(JSON.parse(readFileSync(job.dataFile!, 'utf8')) as VectorizerSpec);
    result = job.texts.map((t) => ({tokens: vectorizer.tokenize(t), row: [...vectorizer.transformOne(t)]}));
  } else if (job.mode === 'spm') {
    const vocab = JSON.parse(readFileSync(job.dataFile!, 'utf8')) as Vocabulary;
    const tokenizer = new UnigramTokenizer(vocab, {reservedSymbols: job.reserved});
    result = job.texts.map((t) => tokenizer.encode(t));
  } else if (job.mode === 'keras') {
    const tokenizer = new KerasTokenizer(JSON.parse(readFileSync(job.dataFile!, 'utf8')) as KerasTokenizerSpec);
    result = job.texts.map((t) => ({words: tokenizer.words(t), ids: Array.from(tokenizer.encode([t]))}));
  } else if (job.mode === 'lower') {
    result = job.texts.map((t) => t.toLowerCase());
  } else {
    await tf.setBackend('cpu');
    const dataName = job.source === 'official' ? 'vocab.json'
      : job.source === 'toxblock' ? 'keras_tokenizer.json' : 'vectorizer.json';
    const model = await load(job.threshold ?? 0.9, job.labels ?? [], {
      source: job.source ?? 'embedded',
      modelUrl: `${BASE}model.json`,
      vectorizerUrl: `${BASE}${dataName}`,
      vocabUrl: `${BASE}${dataName}`,
      tokenizerUrl: `${BASE}${dataName}`,
      fetchFunc: fileFetch(job.modelDir!),
    });
    const predictions = await model.classify(job.texts);
    result = {
      modelLabels: model.modelLabels,
      predictions: predictions.map((p) => ({
        label: p.label,
        results: p.results.map((r) => ({probabilities: Array.from(r.probabilities), match: r.match})),
      })),
    };
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
