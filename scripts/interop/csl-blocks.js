// Decodes Conway blocks with cardano-serialization-lib (EMURGO's Rust library built to
// WebAssembly, as wallets use it) and reports what it reads, for the chain crate's interop
// test to compare with slotforge's own reading.
//
//   node csl-blocks.js BLOCKS_FILE      (one block's CBOR hex per line)
//
// Prints one JSON object per block: the block hash, the header's declared body hash, the
// body hash recomputed from CSL's re-encoding of the body parts (null unless CSL's encodings
// of the transaction bodies and witness sets appear verbatim in the block), slot, block
// number, and each transaction's id and fee. (CSL re-encodes a Babbage header body in the
// flat 15-field form, so the header itself is read, not re-encoded.)
'use strict';
const fs = require('fs');
const CSL = require('@emurgo/cardano-serialization-lib-nodejs');
const { blake2b } = require('blakejs');

const h256 = (bytes) => Buffer.from(blake2b(bytes, undefined, 32));

// A CBOR array of unsigned integers (the invalid-transaction indices), shortest form.
function uintArray(values) {
  const head = (major, n) => {
    const m = major << 5;
    if (n < 24) return [m | n];
    if (n < 0x100) return [m | 24, n];
    if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
    return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  };
  const out = head(4, values.length);
  for (const v of values) out.push(...head(0, v));
  return Buffer.from(out);
}

for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  const hex = line.trim();
  if (!hex) continue;
  const bytes = Buffer.from(hex, 'hex');
  const fixed = CSL.FixedBlock.from_bytes(bytes);
  const block = CSL.Block.from_bytes(bytes);
  const header = block.header();
  const hb = header.header_body();
  const bodies = Buffer.from(block.transaction_bodies().to_bytes());
  const wits = Buffer.from(block.transaction_witness_sets().to_bytes());
  const invalid = uintArray(Array.from(block.invalid_transactions()));
  // The parts follow the header: find CSL's encodings of the first two in the block's bytes.
  const start = bytes.lastIndexOf(Buffer.concat([bodies, wits]));
  const auxStart = start + bodies.length + wits.length;
  const found = start > 0 && bytes.subarray(bytes.length - invalid.length).equals(invalid) && auxStart <= bytes.length - invalid.length;
  const aux = found ? bytes.subarray(auxStart, bytes.length - invalid.length) : null;
  const bodyHash = found ? h256(Buffer.concat([h256(bodies), h256(wits), h256(aux), h256(invalid)])).toString('hex') : null;
  const fbodies = fixed.transaction_bodies();
  const txs = [];
  for (let i = 0; i < fbodies.len(); i++) {
    const b = fbodies.get(i);
    txs.push({ id: Buffer.from(b.tx_hash().to_bytes()).toString('hex'), fee: b.transaction_body().fee().to_str() });
  }
  console.log(JSON.stringify({
    hash: Buffer.from(fixed.block_hash().to_bytes()).toString('hex'),
    bodyHashDeclared: Buffer.from(hb.block_body_hash().to_bytes()).toString('hex'),
    bodyHashComputed: bodyHash,
    slot: hb.slot_bignum().to_str(),
    number: hb.block_number(),
    txs,
  }));
}
