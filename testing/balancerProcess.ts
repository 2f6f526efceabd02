/**
 * Runs a {@link RoundRobinBalancer} as its own process: `node --import tsx testing/balancerProcess.ts
 * <port> <backend port>...`. Prints one line once it listens.
 */
import { RoundRobinBalancer } from './cluster.js';

const [port, ...backends] = process.argv.slice(2).map(Number);
if (!port || backends.length === 0) throw new Error('usage: balancerProcess.ts <port> <backend port>...');
await RoundRobinBalancer.start(port, () => backends);
console.log(`balancing :${port} over ${backends.join(', ')}`);
