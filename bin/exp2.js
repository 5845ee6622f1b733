const v8 = require('node:v8');
if (process.env.EXP_FLAGS) v8.setFlagsFromString(process.env.EXP_FLAGS);
const cap = Number(process.env.EXP_CAP || 0);
const max = {};
const t = setInterval(() => {
  const m = process.memoryUsage();
  const ns = v8.getHeapSpaceStatistics();
  for (const s of ns) m[s.space_name] = s.space_size;
  if (cap && m.new_space >= cap * 1048576) v8.setFlagsFromString('--semi-space-growth-factor=1');
  for (const [k, v] of Object.entries(m)) max[k] = Math.max(max[k] ?? 0, v);
}, 10);
t.unref();
process.on('exit', () => { if (process.env.EXP_STATS) process.stderr.write(['rss','old_space','new_space','arrayBuffers'].map((k) => `${k}=${(max[k] / 1048576).toFixed(1)}`).join(' ') + '\n'); });
require('../dist/main.js').main(process.argv).then((code) => { process.exitCode = code; });
