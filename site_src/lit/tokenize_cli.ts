/**
 * Test helper (Node): tokenise texts with the TypeScript tokenizer for the Python parity test.
 * Usage: node tokenize_cli.mjs request.json > response.json, where request.json is
 * {def, vocabulary, spec (or null), texts} and the response is {ids: number[][], lit: number[][]}.
 */
import {readFileSync} from 'node:fs';

import type {ModelDef, TokenizerSpec, Vocabulary} from './formats';
import {LitTokenizer} from './tokenizer';

interface Request {
  def: ModelDef;
  vocabulary: Vocabulary;
  spec: TokenizerSpec | null;
  texts: string[];
}

const request = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Request;
const tokenizer = LitTokenizer.fromFiles(request.def, request.vocabulary, request.spec);
const response = {
  ids: request.texts.map((t) => tokenizer.sp.encode(t)),
  lit: request.texts.map((t) => tokenizer.ids(t)),
};
process.stdout.write(JSON.stringify(response));
