/**
 * The slice of the WebAssembly JavaScript API privmed's engine uses, typed
 * here because privmed's TypeScript lib has no DOM types.
 */
export type WasmImports = Record<string, Record<string, unknown>>;

export const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      instantiate(bytes: Uint8Array, imports: WasmImports): Promise<{ instance: unknown; module: unknown }>;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: WasmImports) => { exports: unknown };
    };
  }
).WebAssembly;
