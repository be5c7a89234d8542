// The buyer's wallet: any EIP-1193 provider at window.ethereum, used
// through ethers. Every failure becomes a WalletError whose message a
// person can act on (no wallet, locked, wrong chain, rejected, ...).
import { BrowserProvider, Contract, ZeroHash, getAddress } from './ethers.min.js';

export { getAddress, isAddress, parseEther } from './ethers.min.js';

const MARKET_ABI = [
  'function purchase(bytes32 datasetId, address owner, address worker, bytes32 ref) payable',
  'function withdraw()',
  'function owed(address) view returns (uint256)',
];

export class WalletError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // missing, locked, rejected, chain, pending, failed
  }
}

export const present = () => typeof window.ethereum === 'object' && window.ethereum !== null &&
  typeof window.ethereum.request === 'function';

function codeOf(e) {
  return e?.code ?? e?.info?.error?.code ?? e?.error?.code;
}

// Turn whatever a wallet or ethers threw into a WalletError.
export function explain(e, what) {
  if (e instanceof WalletError) return e;
  const code = codeOf(e);
  if (code === 4001 || code === 'ACTION_REJECTED') {
    return new WalletError('rejected', `You declined ${what} in your wallet: nothing was sent.`);
  }
  if (code === 4100) return new WalletError('locked', 'Your wallet is locked or has not allowed this page: unlock it and try again.');
  if (code === -32002) return new WalletError('pending', 'Your wallet already shows a request from this page: answer it there first.');
  if (code === 'INSUFFICIENT_FUNDS' || /insufficient funds/i.test(e?.message || '')) {
    return new WalletError('failed', 'The account has not enough ETH for this payment and its gas.');
  }
  if (code === 'CALL_EXCEPTION') return new WalletError('failed', `The contract refused ${what}${e.reason ? ` (${e.reason})` : ''}.`);
  const msg = e?.shortMessage || e?.info?.error?.message || e?.message || String(e);
  return new WalletError('failed', `${what[0].toUpperCase()}${what.slice(1)} failed: ${msg}`);
}

function need() {
  if (!present()) {
    throw new WalletError('missing', 'No wallet found in this browser. Install an Ethereum wallet extension to pay or sign in; browsing works without one.');
  }
  return window.ethereum;
}

const provider = () => new BrowserProvider(need(), 'any');

// The accounts the wallet already shares with this page (no prompt).
export async function accounts() {
  if (!present()) return [];
  try {
    const a = await window.ethereum.request({ method: 'eth_accounts' });
    return Array.isArray(a) ? a.map(getAddress) : [];
  } catch { return []; }
}

// Ask the wallet for an account (prompts); the first one, EIP-55.
export async function connect() {
  const eth = need();
  let list;
  try {
    list = await eth.request({ method: 'eth_requestAccounts' });
  } catch (e) {
    throw explain(e, 'the connection');
  }
  if (!Array.isArray(list) || list.length === 0) {
    throw new WalletError('locked', 'Your wallet shared no account: unlock it and connect again.');
  }
  return getAddress(list[0]);
}

export async function chainId() {
  const id = await need().request({ method: 'eth_chainId' });
  return Number(BigInt(id));
}

// Make sure the wallet is on the gateway's chain; throws a 'chain' error
// (the caller offers to switch) otherwise.
export async function checkChain(want) {
  const have = await chainId();
  if (have !== want) {
    throw new WalletError('chain', `Your wallet is on chain ${have}, and this gateway takes payments on chain ${want}.`);
  }
}

export async function switchChain(want) {
  try {
    await need().request({ method: 'wallet_switchEthereumChain', params: [{ chainId: `0x${want.toString(16)}` }] });
  } catch (e) {
    if (codeOf(e) === 4902) throw new WalletError('chain', `Your wallet does not know chain ${want}: add it in the wallet, then try again.`);
    throw explain(e, 'the network switch');
  }
}

async function signerFor(from) {
  try {
    return await provider().getSigner(from);
  } catch (e) {
    throw explain(e, 'the connection');
  }
}

// Send purchase(datasetId, owner, worker, ref) with value wei from the
// connected account; returns the transaction hash once the wallet sent it.
export async function purchase({ from, contract, datasetId, owner, worker, valueWei, ref }) {
  const signer = await signerFor(from);
  const market = new Contract(contract, MARKET_ABI, signer);
  try {
    const tx = await market.purchase(datasetId, owner, worker, ref || ZeroHash, { value: BigInt(valueWei) });
    return tx.hash;
  } catch (e) {
    throw explain(e, 'the payment');
  }
}

export async function withdraw({ from, contract }) {
  const signer = await signerFor(from);
  const market = new Contract(contract, MARKET_ABI, signer);
  try {
    const tx = await market.withdraw();
    return tx.hash;
  } catch (e) {
    throw explain(e, 'the withdrawal');
  }
}

// Wait until the node has the receipt of tx; returns it (status 1 = ok).
export async function receipt(tx, timeoutMs = 120000) {
  const p = provider();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const r = await p.getTransactionReceipt(tx);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new WalletError('failed', 'The transaction was not mined in time; look it up in your wallet.');
}

// personal_sign a text with the connected account.
export async function signText(from, text) {
  const signer = await signerFor(from);
  try {
    return await signer.signMessage(text);
  } catch (e) {
    throw explain(e, 'the signature');
  }
}

// The Sign-In with Ethereum message (EIP-4361) for this page and gateway.
export function siweMessage({ address, chainId: chain, nonce, issuedAt, expires }) {
  return [
    `${location.host} wants you to sign in with your Ethereum account:`,
    address,
    '',
    'Sign in to sluice to see your balances, usage and earnings.',
    '',
    `URI: ${location.origin}/`,
    'Version: 1',
    `Chain ID: ${chain}`,
    `Nonce: ${nonce}`,
    `Issued At: ${issuedAt.toISOString()}`,
    `Expiration Time: ${expires.toISOString()}`,
  ].join('\n');
}

// Listen to the wallet's account and chain changes.
export function onChange(fn) {
  if (!present() || typeof window.ethereum.on !== 'function') return;
  window.ethereum.on('accountsChanged', fn);
  window.ethereum.on('chainChanged', fn);
}
