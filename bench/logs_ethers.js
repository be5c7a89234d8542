// bench/logs_ethers.js: the comparison side of bench/logs (run by it with
// node): decode the same Purchased logs with ethers v6's
// Interface.parseLog.
//
//   node bench/logs_ethers.js <logs.json> <count> <runs>
//
// The file is read and parsed first, and the Interface built from
// contracts-abi/Market.abi.json, outside the clock. Each run then decodes
// every log (hex to bytes, ABI decoding, the values as ethers gives them:
// EIP-55 address strings, 0x-hex bytes32 strings, a BigInt amount) into
// an array, timed with process.hrtime. Prints one line per run, then
//   ETHERS version=<v> median=<logs/s> digest=<sha256>
// where the digest (untimed) is SHA-256 over one line per log,
// "dataset_id|worker|payer|owner|amount|ref\n" with lowercase hex and a
// decimal amount, for bench/logs to compare with its own decoding.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Interface, version } = require('ethers');

function main() {
    const [file, countArg, runsArg] = process.argv.slice(2);
    const count = Number(countArg);
    const runs = Number(runsArg);
    if (!file || !(count > 0) || !(runs > 0)) {
        console.error('usage: node bench/logs_ethers.js <logs.json> <count> <runs>');
        process.exit(2);
    }
    const abi = JSON.parse(fs.readFileSync(
        path.join(__dirname, '..', 'contracts-abi', 'Market.abi.json'), 'utf8'));
    const iface = new Interface(abi);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(doc.logs) || doc.logs.length < count) {
        console.error(`bench/logs_ethers: ${file} holds fewer than ${count} logs`);
        process.exit(1);
    }
    const logs = doc.logs.slice(0, count).map((l) => ({ topics: l.topics, data: l.data }));
    const out = new Array(count);
    const rates = [];
    for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < count; i++) {
            const p = iface.parseLog(logs[i]);
            if (p === null || p.name !== 'Purchased')
                throw new Error(`log ${i} is not a Purchased log`);
            const a = p.args;
            out[i] = {
                datasetId: a.datasetId, worker: a.worker, payer: a.payer,
                owner: a.owner, amount: a.amount, ref: a.ref,
            };
        }
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        rates.push(count / secs);
        console.log(`  run ${r + 1} ethers ${version} parseLog ${(count / secs).toFixed(0)} logs/s  ${secs.toFixed(3)} s`);
    }
    rates.sort((x, y) => x - y);
    const mid = rates.length >> 1;
    const median = rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
    const h = crypto.createHash('sha256');
    for (const v of out) {
        h.update(`${v.datasetId.toLowerCase()}|${v.worker.toLowerCase()}|` +
                 `${v.payer.toLowerCase()}|${v.owner.toLowerCase()}|` +
                 `${v.amount.toString()}|${v.ref.toLowerCase()}\n`);
    }
    console.log(`ETHERS version=${version} median=${median.toFixed(3)} digest=${h.digest('hex')}`);
}

main();
