/**
 * Test helper (Node): tokenise texts with the TypeScript WordPiece for the Python parity test
 * (tests/app/test_wordpiece_parity.py). Usage: node wordpiece_cli.mjs request.json, where request.json
 * is {vocab: string (a vocab.txt), lowercase, length, texts}; prints {tokens, ids, words} per text.
 */
import {readFileSync} from 'node:fs';

import {WordPiece, readVocab} from './wordpiece';

interface Request { vocab: string; lowercase: boolean; length: number; texts: string[] }

const request = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Request;
const tokenizer = new WordPiece(readVocab(request.vocab), {lowercase: request.lowercase});
process.stdout.write(JSON.stringify(request.texts.map((t) => ({
  tokens: tokenizer.tokenize(t),
  ids: tokenizer.encode(t, request.length),
  words: tokenizer.encodeWords(t, request.length),
}))));
