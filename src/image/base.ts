import type { LayerEntry } from './spec.js';

/** The conventional "nonroot" user and group of distroless images, matched by Ferry's chart. */
export const NONROOT_ID = 65532;

/**
 * The few files a static or minimal image needs around its program: /etc/passwd and /etc/group
 * naming root and nonroot (so `id`, glibc and Go's os/user resolve 65532), /etc/nsswitch.conf
 * (/etc/hosts before DNS, for glibc and Go's resolver alike), and a world-writable sticky /tmp
 * (the place a read-only root leaves for an emptyDir mount).
 */
export function nonrootEntries(): LayerEntry[] {
  const data = (text: string) => ({ data: Buffer.from(text) });
  return [
    {
      type: 'file',
      path: 'etc/passwd',
      mode: 0o644,
      content: data(
        'root:x:0:0:root:/root:/sbin/nologin\n' +
          `nonroot:x:${NONROOT_ID}:${NONROOT_ID}:nonroot:/home/nonroot:/sbin/nologin\n`,
      ),
    },
    {
      type: 'file',
      path: 'etc/group',
      mode: 0o644,
      content: data(`root:x:0:\nnonroot:x:${NONROOT_ID}:\n`),
    },
    {
      type: 'file',
      path: 'etc/nsswitch.conf',
      mode: 0o644,
      content: data('passwd: files\ngroup: files\nhosts: files dns\n'),
    },
    { type: 'dir', path: 'home/nonroot', mode: 0o700, uid: NONROOT_ID, gid: NONROOT_ID },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}
