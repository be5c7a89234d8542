// Compile contracts-abi/Market.sol with the pinned solc-js into
// contracts-abi/Market.abi.json and contracts-abi/Market.bin. Every input
// of the compiler is fixed here (version, optimizer, EVM version, metadata
// settings), so the same source gives the same bytes on any machine:
// `make contracts` rewrites the committed files and a test checks that
// they do not change.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const WANT = '0.8.37+commit.f401782d';
const dir = path.join(__dirname, '..', 'contracts-abi');
const outDir = process.argv[2] || dir;

if (!solc.version().startsWith(WANT)) {
  console.error(`build-contracts: solc ${solc.version()} is not the pinned ${WANT}`);
  process.exit(1);
}
const input = {
  language: 'Solidity',
  sources: { 'Market.sol': { content: fs.readFileSync(path.join(dir, 'Market.sol'), 'utf8') } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    metadata: { bytecodeHash: 'ipfs', appendCBOR: true },
    outputSelection: { 'Market.sol': { Market: ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
for (const e of out.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
const c = out.contracts['Market.sol'].Market;
fs.writeFileSync(path.join(outDir, 'Market.abi.json'), JSON.stringify(c.abi, null, 2) + '\n');
fs.writeFileSync(path.join(outDir, 'Market.bin'), c.evm.bytecode.object + '\n');
console.error(`build-contracts: Market.abi.json (${c.abi.length} entries), Market.bin (${c.evm.bytecode.object.length / 2} bytes)`);
