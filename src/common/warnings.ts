/**
 * grpc-js passes 127.0.0.1 as the TLS server name, which Node reports as
 * DEP0123 on every connection. The connection is still verified against the
 * certificate's IP SAN, so the warning only adds noise; other warnings print.
 */
export function silenceIpServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code === 'DEP0123') return;
    for (const p of printers) p(w);
  });
}
