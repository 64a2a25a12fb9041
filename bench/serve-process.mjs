// The real `vit serve` in a child process, for the serve benchmarks: started on a free port,
// resolved once its model is ready, stopped with SIGTERM (which must exit 0).

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Start `vit serve --port 0 ...args`; resolves to { url, pid, stop() } once it prints "ready". */
export function startServe(args) {
  const child = spawn(process.execPath, [join(root, 'bin', 'vit.js'), 'serve', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /^listening on (\S+)\n/.exec(out)?.[1];
      if (url !== undefined && out.includes('\nready: ')) {
        resolve({
          url,
          pid: child.pid,
          stop: async () => {
            child.kill('SIGTERM');
            const code = await exited;
            if (code !== 0) throw new Error(`vit serve exited ${code} on SIGTERM`);
          },
        });
      }
    });
    exited.then((code) => reject(new Error(`vit serve exited ${code} before it was ready`)));
  });
}

/** POST one image to /v1/classify; the HTTP status. */
export async function classifyOne(url, body) {
  const response = await fetch(`${url}/v1/classify?topk=1`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  await response.arrayBuffer();
  return response.status;
}
