/**
 * Loader bench: how long a training loop waits for each batch in steady state.
 *
 *   node dist/bench/loader.js [--workers 0,1,2] [--batches 30] [--warmup 5] [--batch-size 4]
 *        [--consumer-ms 40] [--consumer busy|sleep] [--style source] [--crop 224x160] [--prefetch 2]
 *
 * Source: SynthStreet frames generated on the fly (240×180), augmented with random scale
 * 0.75–1.25, random crop, flip and colour jitter, normalised (ImageNet). The simulated
 * consumer spends --consumer-ms per batch, busy (a CPU-bound training step, competing with the
 * workers for cores) or asleep (e.g. the step runs on a GPU). Prints, per worker count, the
 * mean and p90 wait per batch after --warmup batches and the batches/s of the whole loop.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { DataLoader } from '../lib/data/loader/index.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) console.log(x);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '0,1,2' }, batches: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' }, 'batch-size': { type: 'string', default: '4' },
      'consumer-ms': { type: 'string', default: '40' }, consumer: { type: 'string', default: 'busy' },
      style: { type: 'string', default: 'source' }, crop: { type: 'string', default: '224x160' },
      prefetch: { type: 'string', default: '2' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log('see the header of bench/loader.ts'); return; }
  const batches = Number(values.batches), warm = Number(values.warmup), bs = Number(values['batch-size']);
  const consumerMs = Number(values['consumer-ms']);
  const [cw, ch] = values.crop!.split('x').map(Number) as [number, number];
  console.log(`loader bench: ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; batch ${bs}, crop ${cw}x${ch}, style ${values.style}, consumer ${values.consumer} ${consumerMs} ms/batch, ${batches} batches after ${warm} warm-up`);
  for (const w of values.workers!.split(',').map(Number)) {
    const dl = await DataLoader.open({
      source: { kind: 'synthstreet', seed: 1, count: (batches + warm) * bs, style: values.style! },
      augment: { scale: [0.75, 1.25], crop: [cw, ch], flip: 0.5, photometric: { jitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.05, p: 0.8 } }, normalize: 'imagenet' },
      batchSize: bs, seed: 1, workers: w, prefetch: Number(values.prefetch),
    });
    const waits: number[] = [];
    let t0 = 0;
    for await (const b of dl.epoch(0)) {
      if (b.batch === warm) t0 = performance.now();
      if (b.batch >= warm) waits.push(b.waitMs);
      if (values.consumer === 'sleep') await new Promise((r) => setTimeout(r, consumerMs));
      else busy(consumerMs);
    }
    const el = (performance.now() - t0) / 1000;
    await dl.close();
    waits.sort((a, b) => a - b);
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    const p90 = waits[Math.floor(0.9 * (waits.length - 1))]!;
    console.log(`workers=${w}: mean wait ${mean.toFixed(1)} ms/batch, p90 ${p90.toFixed(1)} ms, ${(waits.length / el).toFixed(2)} batches/s (consumer alone: ${(1000 / consumerMs).toFixed(2)} batches/s)`);
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
