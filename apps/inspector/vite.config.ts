import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// `KVTRACE_SERVER=http://127.0.0.1:8080 npm run dev -w @kvtrace/inspector` proxies /traces to apps/server.
const server = process.env.KVTRACE_SERVER;

export default defineConfig({
  root: here,
  plugins: [react()],
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: server ? { proxy: { '/traces': server } } : {},
});
