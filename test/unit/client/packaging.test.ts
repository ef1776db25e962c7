import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../../..');

describe('the client as others load it', () => {
  test('bundles for a browser with no Node module, no `ws` and no zod at runtime (its types only)', async () => {
    const result = await build({
      entryPoints: [path.join(root, 'client/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
    expect(inputs.every((input) => input.startsWith('client/'))).toBe(true);
    const code = result.outputFiles[0]?.text ?? '';
    // Everything is inside the bundle: no import left for a browser to resolve.
    expect(code).not.toMatch(/^import\b/m);
    expect(code).toMatch(/JobQueueClient = class/);
  });

  test('type-checks as a browser app sees it: DOM types, no Node types (a dashboard build would fail otherwise)', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'jobqueue-client-types-'));
    const config = path.join(folder, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          isolatedModules: true,
          skipLibCheck: true,
          noEmit: true,
        },
        files: [path.join(root, 'client/index.ts')],
      }),
    );
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    // Throws with the compiler's messages if any file the client reaches needs Node.
    expect(() => execFileSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8' })).not.toThrow();
  });

  test('resolves as `jobqueue/client` by package name (package.json "exports")', () => {
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "const m = await import('jobqueue/client'); console.log(typeof m.JobQueueClient, typeof m.JobQueueApiError);",
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(output.trim()).toBe('function function');
  });
});
