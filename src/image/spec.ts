import { z } from 'zod';

/**
 * What an image runs with: the OCI image config's `config` object, in camelCase. Parsed with zod
 * because it comes from tools' command lines and files.
 */
export const ImageConfigSchema = z
  .object({
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    /** `NAME=value`, in order (later entries win in a runtime, so order is kept as given). */
    env: z.array(z.string().regex(/^[^=\s]+=/, 'expected NAME=value')).optional(),
    /** `uid[:gid]` or a name the image's /etc/passwd knows. */
    user: z.string().min(1).optional(),
    workdir: z.string().startsWith('/').optional(),
    /** `8080` or `8080/tcp` (udp, sctp). */
    exposedPorts: z
      .array(z.string().regex(/^\d{1,5}(\/(tcp|udp|sctp))?$/, 'expected PORT[/tcp|udp|sctp]'))
      .optional(),
    labels: z.record(z.string().min(1), z.string()).optional(),
    stopSignal: z.string().min(1).optional(),
  })
  .strict();
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

export const PlatformSchema = z.object({
  os: z.string().min(1),
  architecture: z.string().min(1),
  variant: z.string().min(1).optional(),
});

/** A file's bytes: in memory, or a file on disk read when the layer is written (size checked). */
export type FileContent = { data: Buffer } | { source: string; size: number };

interface Owned {
  /** Path inside the image, '/'-separated; a leading '/' or './' is dropped. */
  path: string;
  uid?: number;
  gid?: number;
}

export type LayerEntry =
  | (Owned & { type: 'dir'; mode?: number })
  | (Owned & {
      type: 'file';
      mode?: number;
      content: FileContent;
      /**
       * Files sharing a key are one file (hard links): the first in layer order carries the bytes,
       * the others link to it.
       */
      linkKey?: string;
    })
  | (Owned & { type: 'symlink'; target: string });
