/** Small timing helpers shared by the benchmarks. */
import { spawn } from 'node:child_process';

/** Median of `rounds` timings of `fn(n)`, in nanoseconds per operation. */
export function nsPerOp(fn: (n: number) => void, n: number, rounds = 7): number {
  return nsPerOpWithSetup((k) => k, fn, n, rounds);
}

/** As nsPerOp, with an untimed `setup(n)` before each round whose result `fn` consumes. */
export function nsPerOpWithSetup<T>(setup: (n: number) => T, fn: (state: T, n: number) => void, n: number, rounds = 7): number {
  const warm = Math.min(n, 20_000);
  fn(setup(warm), warm); // warm-up: let the JIT settle
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const state = setup(n);
    const t0 = process.hrtime.bigint();
    fn(state, n);
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(samples);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Runs `node <args>` as a bench child and returns the JSON of the last line it printed. */
export function runJsonChild<T>(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`bench child exited ${code}`);
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch (err) {
        reject(err);
      }
    });
  });
}
