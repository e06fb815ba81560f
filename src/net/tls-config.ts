/** The `tls` block of coordinator and node configs (files from privmed certs init). */
import { z } from 'zod';

export const TlsConfigSchema = z.strictObject({
  /** CA certificate that the peer's certificate must chain to. */
  ca: z.string().min(1),
  /** This process's certificate and private key (PEM). */
  cert: z.string().min(1),
  key: z.string().min(1),
});
